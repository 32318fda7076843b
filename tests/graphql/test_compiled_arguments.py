"""Field arguments through the direct executor: literal ones are converted once per
query text and reused, variables are read afresh on every request."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.graphql.compiled.serve import PLAN_HEADER
from c360.graphql.ids import encode_id
from c360.interactions.models import TicketStatus
from factories import Rows


@pytest.fixture(scope="module")
async def api_and_ids(database_factory: Any) -> AsyncIterator[tuple[Api, list[str]]]:
    rows = Rows()
    ids = []
    for n in range(2):
        customer = rows.customer(given_name=f"Ann {n}")
        for k in range(3 + n):
            rows.interaction(
                customer, occurred_at=rows.now - dt.timedelta(hours=k), topic=f"topic {n}.{k}"
            )
        rows.ticket(customer, subject=f"open {n}", status=TicketStatus.OPEN)
        rows.ticket(customer, subject=f"closed {n}", status=TicketStatus.CLOSED)
        ids.append(encode_id("Customer", customer))
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield api, ids


LITERAL = """query($id: ID!) { customer(id: $id) {
  interactions(first: 2) { edges { node { topic } } }
  tickets(status: [CLOSED]) { subject }
} }"""

VARIABLE = """query($id: ID!, $first: Int!, $status: [TicketStatus!]) { customer(id: $id) {
  interactions(first: $first) { edges { node { topic } } }
  tickets(status: $status) { subject }
} }"""


async def _ask(api: Api, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(query, variables)
    assert response.headers.get(PLAN_HEADER) == "compiled", response.text
    body = response.json()
    assert "errors" not in body, body
    customer: dict[str, Any] = body["data"]["customer"]
    return {
        "topics": [edge["node"]["topic"] for edge in customer["interactions"]["edges"]],
        "tickets": [ticket["subject"] for ticket in customer["tickets"]],
    }


async def test_literal_arguments_answer_every_request_alike(
    api_and_ids: tuple[Api, list[str]],
) -> None:
    api, ids = api_and_ids
    for _ in range(2):  # the second time from the plan's converted arguments
        for n, customer in enumerate(ids):
            answer = await _ask(api, LITERAL, {"id": customer})
            assert len(answer["topics"]) == 2
            assert answer["tickets"] == [f"closed {n}"]


async def test_variables_are_read_afresh_on_every_request(
    api_and_ids: tuple[Api, list[str]],
) -> None:
    api, ids = api_and_ids
    first = await _ask(api, VARIABLE, {"id": ids[1], "first": 1, "status": ["OPEN"]})
    second = await _ask(api, VARIABLE, {"id": ids[1], "first": 4, "status": ["CLOSED"]})
    everything = await _ask(api, VARIABLE, {"id": ids[1], "first": 3, "status": None})
    assert (len(first["topics"]), first["tickets"]) == (1, ["open 1"])
    assert (len(second["topics"]), second["tickets"]) == (4, ["closed 1"])
    assert len(everything["topics"]) == 3
    assert sorted(everything["tickets"]) == ["closed 1", "open 1"]
