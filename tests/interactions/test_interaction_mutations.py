"""recordInteraction, openTicket and updateTicket over HTTP: the answer, and the rows after."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gqltest import Api, new_database, serve
from sqlalchemy import update

from c360.graphql.ids import decode_id_of
from c360.holdings.models import ProductCategory
from c360.interactions.models import Interaction, SupportTicket
from c360.interactions.service import ALLOWED_TRANSITIONS
from write_support import World, count_rows, gid, invisible, parse_time, rows_of

interaction = Interaction.__table__
ticket = SupportTicket.__table__

RECORD = """
mutation($input: RecordInteractionInput!) {
  recordInteraction(input: $input) {
    __typename
    ... on InteractionSuccess {
      interaction { id channel direction topic summary agent occurredAt }
    }
    ... on InteractionError { code message field }
  }
}"""
TICKET_FIELDS = """
    __typename
    ... on TicketSuccess {
      ticket { id subject status priority channel openedAt resolvedAt resolution }
    }
    ... on InteractionError { code message field }
"""
OPEN = f"""
mutation($input: OpenTicketInput!) {{ openTicket(input: $input) {{ {TICKET_FIELDS} }} }}"""
UPDATE = f"""
mutation($input: UpdateTicketInput!) {{ updateTicket(input: $input) {{ {TICKET_FIELDS} }} }}"""


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    async with serve(await new_database(database_factory)) as api:
        yield api


@pytest.fixture(scope="module")
async def world(api: Api) -> World:
    return World(api.engine)


async def call(api: Api, mutation: str, **input: Any) -> dict[str, Any]:
    data = await api.data(mutation, {"input": input})
    (result,) = data.values()
    return result  # type: ignore[no-any-return]


def visit(customer_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "customerId": gid("Customer", customer_id),
        "channel": "BRANCH",
        "direction": "INBOUND",
        "topic": "enquiry:mortgage",
        **extra,
    }


async def new_ticket(api: Api, customer_id: int, **extra: Any) -> dict[str, Any]:
    result = await call(
        api, OPEN, customerId=gid("Customer", customer_id), subject="Card blocked", **extra
    )
    assert result["__typename"] == "TicketSuccess", result
    return result["ticket"]  # type: ignore[no-any-return]


async def set_status(api: Api, ticket_gid: str, status: str, resolved_at: Any = None) -> int:
    """Put a ticket in ``status`` directly (the setup of a transition test)."""
    pk = _pk(ticket_gid)
    async with api.engine.begin() as conn:
        await conn.execute(
            update(ticket).where(ticket.c.id == pk).values(status=status, resolved_at=resolved_at)
        )
    return pk


# recordInteraction -------------------------------------------------------------------


async def test_record_interaction_stores_the_contact(api: Api, world: World) -> None:
    customer_id = await world.customer()
    holding_id = world.rows.holding(
        customer_id, world.rows.product("MORTGAGE_X", ProductCategory.LENDING)
    )
    policy_id = world.rows.policy(customer_id)
    await world.insert()
    occurred = "2026-10-05T09:15:00+02:00"
    result = await call(
        api,
        RECORD,
        **visit(
            customer_id,
            topic="  enquiry:mortgage  ",
            summary="Asked about fixed rates.",
            agent="teller-12",
            occurredAt=occurred,
            holdingId=gid("Holding", holding_id),
            warrantyPolicyId=gid("WarrantyPolicy", policy_id),
        ),
    )
    assert result["__typename"] == "InteractionSuccess"
    body = result["interaction"]
    assert body | {"id": None} == {
        "id": None,
        "channel": "BRANCH",
        "direction": "INBOUND",
        "topic": "enquiry:mortgage",
        "summary": "Asked about fixed rates.",
        "agent": "teller-12",
        "occurredAt": "2026-10-05T07:15:00+00:00",
    }
    (row,) = await rows_of(api.engine, interaction, customer_id=customer_id)
    assert gid("Interaction", row.id) == body["id"]
    assert (row.channel, row.direction, row.topic, row.summary, row.agent) == (
        "branch",
        "inbound",
        "enquiry:mortgage",
        "Asked about fixed rates.",
        "teller-12",
    )
    assert row.occurred_at == parse_time(occurred)
    assert (row.holding_id, row.warranty_policy_id) == (holding_id, policy_id)


async def test_record_interaction_defaults_to_now_and_reaches_the_read_api(
    api: Api, world: World
) -> None:
    customer_id = await world.customer()
    before = dt.datetime.now(dt.UTC)
    result = await call(
        api,
        RECORD,
        **visit(customer_id, channel="PHONE", topic="t" * 80, agent="a" * 80, summary="s" * 4000),
    )
    occurred = parse_time(result["interaction"]["occurredAt"])
    assert before - dt.timedelta(seconds=1) <= occurred <= dt.datetime.now(dt.UTC)
    assert (result["interaction"]["agent"], result["interaction"]["summary"]) == (
        "a" * 80,
        "s" * 4000,
    )
    data = await api.data(
        "query($id: ID!) { customer(id: $id) { interactions(first: 5) {"
        " totalCount edges { node { id topic } } } summary { lastContactAt } } }",
        {"id": gid("Customer", customer_id)},
    )
    listed = data["customer"]["interactions"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {"id": result["interaction"]["id"], "topic": "t" * 80}
    assert data["customer"]["summary"]["lastContactAt"] == result["interaction"]["occurredAt"]


_FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
_RECORD_REFUSALS = [
    ({"topic": ""}, "INVALID_INPUT", "topic"),
    ({"topic": "   "}, "INVALID_INPUT", "topic"),
    ({"topic": "t" * 81}, "INVALID_INPUT", "topic"),
    ({"summary": "s" * 4001}, "INVALID_INPUT", "summary"),
    ({"summary": " "}, "INVALID_INPUT", "summary"),
    ({"agent": "a" * 81}, "INVALID_INPUT", "agent"),
    ({"occurredAt": _FUTURE}, "INVALID_INPUT", "occurredAt"),
    ({"occurredAt": "2026-01-01T10:00:00"}, "INVALID_INPUT", "occurredAt"),
    ({"occurredAt": "1969-12-31T23:59:59+00:00"}, "INVALID_INPUT", "occurredAt"),
    ({"customerId": gid("Customer", 999_999)}, "CUSTOMER_NOT_FOUND", "customerId"),
    ({"customerId": gid("Holding", 1)}, "INVALID_INPUT", "customerId"),
    ({"customerId": "not-an-id"}, "INVALID_INPUT", "customerId"),
    ({"holdingId": gid("Holding", 999_999)}, "HOLDING_NOT_FOUND", "holdingId"),
    ({"holdingId": gid("Customer", 1)}, "INVALID_INPUT", "holdingId"),
    (
        {"warrantyPolicyId": gid("WarrantyPolicy", 999_999)},
        "WARRANTY_POLICY_NOT_FOUND",
        "warrantyPolicyId",
    ),
]


@pytest.mark.parametrize(("override", "code", "field"), _RECORD_REFUSALS)
async def test_record_interaction_refusals_write_nothing(
    api: Api, world: World, override: dict[str, Any], code: str, field: str
) -> None:
    customer_id = await world.customer()
    before = await count_rows(api.engine, interaction)
    result = await call(api, RECORD, **{**visit(customer_id), **override})
    assert result["__typename"] == "InteractionError"
    assert (result["code"], result["field"]) == (code, ["input", field])
    assert result["message"]
    assert await count_rows(api.engine, interaction) == before


async def test_another_customers_holding_or_policy_is_not_found(api: Api, world: World) -> None:
    mine, theirs = await world.customer(), await world.customer()
    holding_id = world.rows.holding(
        theirs, world.rows.product("SAVINGS_X", ProductCategory.DEPOSIT)
    )
    policy_id = world.rows.policy(theirs)
    await world.insert()
    for key, value, code in (
        ("holdingId", gid("Holding", holding_id), "HOLDING_NOT_FOUND"),
        ("warrantyPolicyId", gid("WarrantyPolicy", policy_id), "WARRANTY_POLICY_NOT_FOUND"),
    ):
        result = await call(api, RECORD, **visit(mine, **{key: value}))
        assert (result["code"], result["field"]) == (code, ["input", key])
        result = await call(
            api, OPEN, customerId=gid("Customer", mine), subject="x", **{key: value}
        )
        assert (result["code"], result["field"]) == (code, ["input", key])
    assert await rows_of(api.engine, interaction, customer_id=mine) == []
    assert await rows_of(api.engine, ticket, customer_id=mine) == []


async def test_a_customer_the_caller_may_not_see_is_not_found(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await world.customer()
    opened = await new_ticket(api, customer_id)
    with invisible(monkeypatch, customer_id):
        recorded = await call(api, RECORD, **visit(customer_id))
        new = await call(api, OPEN, customerId=gid("Customer", customer_id), subject="x")
        updated = await call(api, UPDATE, id=opened["id"], status="CLOSED")
    assert (recorded["code"], recorded["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "customerId"])
    assert (new["code"], new["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "customerId"])
    assert (updated["code"], updated["field"]) == ("TICKET_NOT_FOUND", ["input", "id"])
    assert await rows_of(api.engine, interaction, customer_id=customer_id) == []
    (row,) = await rows_of(api.engine, ticket, customer_id=customer_id)
    assert row.status == "open"


@pytest.mark.parametrize(
    ("key", "value"),
    [("channel", "FAX"), ("direction", "SIDEWAYS"), ("topic", None), ("occurredAt", "yesterday")],
)
async def test_wrong_types_fail_validation(api: Api, world: World, key: str, value: Any) -> None:
    customer_id = await world.customer()
    codes = await api.error_codes(RECORD, {"input": visit(customer_id, **{key: value})})
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert await rows_of(api.engine, interaction, customer_id=customer_id) == []


# openTicket --------------------------------------------------------------------------


async def test_open_ticket_stores_an_open_ticket(api: Api, world: World) -> None:
    customer_id = await world.customer()
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = await call(
        api,
        OPEN,
        customerId=gid("Customer", customer_id),
        subject="  Card blocked after wrong PIN ",
        priority="HIGH",
        channel="PHONE",
    )
    body = result["ticket"]
    assert body | {"id": None, "openedAt": None} == {
        "id": None,
        "subject": "Card blocked after wrong PIN",
        "status": "OPEN",
        "priority": "HIGH",
        "channel": "PHONE",
        "openedAt": None,
        "resolvedAt": None,
        "resolution": None,
    }
    assert before <= parse_time(body["openedAt"]) <= dt.datetime.now(dt.UTC)
    (row,) = await rows_of(api.engine, ticket, customer_id=customer_id)
    assert gid("SupportTicket", row.id) == body["id"]
    assert (row.subject, row.status, row.priority, row.channel, row.resolved_at) == (
        "Card blocked after wrong PIN",
        "open",
        "high",
        "phone",
        None,
    )
    assert row.opened_at == parse_time(body["openedAt"])
    default = await new_ticket(api, customer_id)
    assert (default["priority"], default["channel"]) == ("NORMAL", None)
    longest = await call(api, OPEN, customerId=gid("Customer", customer_id), subject="s" * 200)
    assert longest["ticket"]["subject"] == "s" * 200
    data = await api.data(
        "query($id: ID!) { customer(id: $id) { summary { openTickets } tickets { id } } }",
        {"id": gid("Customer", customer_id)},
    )
    assert data["customer"]["summary"]["openTickets"] == 3
    assert {t["id"] for t in data["customer"]["tickets"]} == {
        body["id"],
        default["id"],
        longest["ticket"]["id"],
    }


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"subject": ""}, "INVALID_INPUT", "subject"),
        ({"subject": "s" * 201}, "INVALID_INPUT", "subject"),
        ({"customerId": gid("Customer", 999_999)}, "CUSTOMER_NOT_FOUND", "customerId"),
        ({"customerId": gid("SupportTicket", 1)}, "INVALID_INPUT", "customerId"),
        ({"holdingId": gid("Holding", 999_999)}, "HOLDING_NOT_FOUND", "holdingId"),
    ],
)
async def test_open_ticket_refusals_write_nothing(
    api: Api, world: World, override: dict[str, Any], code: str, field: str
) -> None:
    customer_id = await world.customer()
    before = await count_rows(api.engine, ticket)
    result = await call(
        api, OPEN, **{"customerId": gid("Customer", customer_id), "subject": "x", **override}
    )
    assert (result["__typename"], result["code"], result["field"]) == (
        "InteractionError",
        code,
        ["input", field],
    )
    assert await count_rows(api.engine, ticket) == before


# updateTicket ------------------------------------------------------------------------

STATUSES = ("OPEN", "PENDING", "RESOLVED", "CLOSED")
ALLOWED = {
    ("OPEN", "PENDING"),
    ("OPEN", "RESOLVED"),
    ("OPEN", "CLOSED"),
    ("PENDING", "OPEN"),
    ("PENDING", "RESOLVED"),
    ("PENDING", "CLOSED"),
    ("RESOLVED", "CLOSED"),
    ("RESOLVED", "OPEN"),
}


def test_the_service_table_is_the_documented_one() -> None:
    table = {(a.name, b.name) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STATUSES, STATUSES)))
async def test_ticket_transitions(api: Api, world: World, source: str, target: str) -> None:
    customer_id = await world.customer()
    opened = await new_ticket(api, customer_id)
    earlier = world.now - dt.timedelta(days=1)
    finished = source in ("RESOLVED", "CLOSED")
    pk = await set_status(api, opened["id"], source.lower(), earlier if finished else None)
    (before,) = await rows_of(api.engine, ticket, id=pk)

    result = await call(api, UPDATE, id=opened["id"], status=target)

    (after,) = await rows_of(api.engine, ticket, id=pk)
    if (source, target) not in ALLOWED:
        assert (result["code"], result["field"]) == ("INVALID_TRANSITION", ["input", "status"])
        assert f"from {source} to {target}" in result["message"]
        assert after == before
        return
    assert result["ticket"]["status"] == target
    assert after.status == target.lower()
    if target == "OPEN":
        assert after.resolved_at is None
    elif finished:  # RESOLVED -> CLOSED keeps the time it was resolved
        assert after.resolved_at == earlier
    elif target in ("RESOLVED", "CLOSED"):
        assert after.resolved_at is not None
        assert after.resolved_at > world.now - dt.timedelta(minutes=1)
    else:
        assert after.resolved_at is None
    assert result["ticket"]["resolvedAt"] == (
        None if after.resolved_at is None else after.resolved_at.isoformat()
    )


async def test_resolving_with_a_resolution_then_reopening(api: Api, world: World) -> None:
    customer_id = await world.customer()
    opened = await new_ticket(api, customer_id)
    resolved = await call(
        api, UPDATE, id=opened["id"], status="RESOLVED", resolution=" PIN reset. ", priority="LOW"
    )
    body = resolved["ticket"]
    assert (body["status"], body["resolution"], body["priority"]) == (
        "RESOLVED",
        "PIN reset.",
        "LOW",
    )
    assert body["resolvedAt"] is not None
    reopened = await call(api, UPDATE, id=opened["id"], status="OPEN")
    assert (reopened["ticket"]["resolvedAt"], reopened["ticket"]["resolution"]) == (
        None,
        "PIN reset.",
    )
    only_priority = await call(api, UPDATE, id=opened["id"], priority="URGENT")
    assert (only_priority["ticket"]["status"], only_priority["ticket"]["priority"]) == (
        "OPEN",
        "URGENT",
    )
    (row,) = await rows_of(api.engine, ticket, customer_id=customer_id)
    assert (row.status, row.priority, row.resolution, row.resolved_at) == (
        "open",
        "urgent",
        "PIN reset.",
        None,
    )


async def test_update_ticket_refusals_change_nothing(api: Api, world: World) -> None:
    customer_id = await world.customer()
    opened = await new_ticket(api, customer_id)
    closed = await new_ticket(api, customer_id)
    await call(api, UPDATE, id=closed["id"], status="CLOSED")
    before = await rows_of(api.engine, ticket, customer_id=customer_id)
    cases = [
        ({"id": opened["id"]}, "NOTHING_TO_UPDATE", None),
        ({"id": opened["id"], "resolution": "r" * 4001}, "INVALID_INPUT", ["input", "resolution"]),
        ({"id": opened["id"], "resolution": ""}, "INVALID_INPUT", ["input", "resolution"]),
        ({"id": gid("SupportTicket", 999_999), "status": "CLOSED"}, "TICKET_NOT_FOUND", None),
        ({"id": gid("Interaction", 1), "status": "CLOSED"}, "INVALID_INPUT", ["input", "id"]),
        ({"id": closed["id"], "priority": "HIGH"}, "TICKET_CLOSED", ["input", "id"]),
        ({"id": closed["id"], "status": "OPEN"}, "INVALID_TRANSITION", ["input", "status"]),
    ]
    for update_input, code, field in cases:
        result = await call(api, UPDATE, **update_input)
        expected_field = ["input", "id"] if code == "TICKET_NOT_FOUND" else field
        assert (result["code"], result["field"]) == (code, expected_field), update_input
        assert result["message"]
    assert await rows_of(api.engine, ticket, customer_id=customer_id) == before
    codes = await api.error_codes(UPDATE, {"input": {"id": opened["id"], "status": "REOPENED"}})
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}


async def test_concurrent_updates_never_lose_a_transition(api: Api, world: World) -> None:
    """Ten tellers resolve one ticket at once: one does, the nine others learn it was."""
    customer_id = await world.customer()
    opened = await new_ticket(api, customer_id)
    results = await asyncio.gather(
        *(
            call(api, UPDATE, id=opened["id"], status="RESOLVED", resolution=f"by teller {n}")
            for n in range(10)
        )
    )
    outcomes = Counter(result.get("code", "OK") for result in results)
    assert outcomes == Counter({"OK": 1, "INVALID_TRANSITION": 9})
    (winner,) = (result["ticket"] for result in results if "ticket" in result)
    (row,) = await rows_of(api.engine, ticket, customer_id=customer_id)
    assert (row.status, row.resolution) == ("resolved", winner["resolution"])
    assert row.resolved_at.isoformat() == winner["resolvedAt"]


async def test_concurrent_conflicting_transitions_end_in_an_allowed_state(
    api: Api, world: World
) -> None:
    """CLOSED and PENDING at once: whichever runs first, the other sees its result."""
    customer_id = await world.customer()
    tickets = [await new_ticket(api, customer_id) for _ in range(5)]
    for opened in tickets:
        closing, pending = await asyncio.gather(
            call(api, UPDATE, id=opened["id"], status="CLOSED"),
            call(api, UPDATE, id=opened["id"], status="PENDING"),
        )
        # PENDING then CLOSED: both apply. CLOSED then PENDING: the second is refused.
        assert "ticket" in closing
        assert pending.get("code") in (None, "INVALID_TRANSITION")
        (row,) = await rows_of(api.engine, ticket, id=_pk(opened["id"]))
        assert row.status == "closed"


def _pk(ticket_gid: str) -> int:
    return decode_id_of("SupportTicket", ticket_gid)
