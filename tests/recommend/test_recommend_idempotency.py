"""``recordOfferResponse`` with an idempotency key: a retry writes once, a reuse is refused."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gqltest import ADMIN, serve
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.graphql.ids import encode_id
from c360.recommend.models import OfferResponse

RECORD = """
mutation Record($input: RecordOfferResponseInput!) {
  recordOfferResponse(input: $input) {
    __typename
    ... on OfferResponseSuccess {
      replayed
      offerResponse { id customerId productCode response channel respondedAt }
    }
    ... on OfferResponseError { code message field }
  }
}
"""
CUSTOMER = encode_id("Customer", 7)


def _input(key: str | None, response: str = "REJECTED", code: str = "mortgage") -> dict[str, Any]:
    values = {"customerId": CUSTOMER, "productCode": code, "response": response}
    return {"input": {**values, "channel": "BRANCH", "idempotencyKey": key}}


@pytest.fixture
async def engine(
    recommend_engine: AsyncEngine, model_dir: tuple[Path, str]
) -> AsyncIterator[AsyncEngine]:
    yield recommend_engine
    # The demo database is shared by the module's tests: leave it as it was.
    async with recommend_engine.begin() as connection:
        await connection.execute(delete(OfferResponse))


async def _rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        query = select(OfferResponse).order_by(OfferResponse.id)
        return list((await connection.execute(query)).all())


async def _record(api: Any, variables: dict[str, Any]) -> dict[str, Any]:
    return (await api.data(RECORD, variables))["recordOfferResponse"]


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_writes_one_row(
    engine: AsyncEngine,
) -> None:
    async with serve(engine.url.render_as_string(False)) as api:
        first = await _record(api, _input("till-7-offer-1"))
        again = await _record(api, _input("till-7-offer-1"))
    assert first["__typename"] == again["__typename"] == "OfferResponseSuccess"
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["offerResponse"] == first["offerResponse"]
    rows = await _rows(engine)
    assert len(rows) == 1
    assert (rows[0].idempotency_key, rows[0].recorded_by) == ("till-7-offer-1", ADMIN.subject)


async def test_reusing_a_key_for_another_response_is_refused_and_writes_nothing(
    engine: AsyncEngine,
) -> None:
    async with serve(engine.url.render_as_string(False)) as api:
        await _record(api, _input("till-7-offer-2"))
        refused = [
            await _record(api, _input("till-7-offer-2", response="ACCEPTED")),
            await _record(api, _input("till-7-offer-2", code="car_loan")),
        ]
    for result in refused:
        assert result["__typename"] == "OfferResponseError"
        assert (result["code"], result["field"]) == (
            "IDEMPOTENCY_KEY_REUSED",
            ["input", "idempotencyKey"],
        )
    rows = await _rows(engine)
    assert [(row.response, row.idempotency_key) for row in rows] == [("rejected", "till-7-offer-2")]


async def test_another_callers_key_is_another_key_and_no_key_writes_every_time(
    engine: AsyncEngine,
) -> None:
    other = dataclasses.replace(ADMIN, subject="test:other-admin")
    async with serve(engine.url.render_as_string(False)) as api:
        await _record(api, _input("shared-key"))
        await _record(api, _input(None))
        await _record(api, _input(None))
    async with serve(engine.url.render_as_string(False), principal=other) as api:
        theirs = await _record(api, _input("shared-key", response="ACCEPTED"))
    assert (theirs["__typename"], theirs["replayed"]) == ("OfferResponseSuccess", False)
    rows = await _rows(engine)
    assert [(row.recorded_by, row.idempotency_key) for row in rows] == [
        (ADMIN.subject, "shared-key"),
        (ADMIN.subject, None),
        (ADMIN.subject, None),
        (other.subject, "shared-key"),
    ]


@pytest.mark.parametrize("key", ["", "   ", "k" * 65])
async def test_a_blank_or_long_key_is_invalid_input_and_writes_nothing(
    engine: AsyncEngine, key: str
) -> None:
    async with serve(engine.url.render_as_string(False)) as api:
        result = await _record(api, _input(key))
    assert (result["code"], result["field"]) == ("INVALID_INPUT", ["input", "idempotencyKey"])
    assert await _rows(engine) == []


async def test_concurrent_retries_write_one_row(engine: AsyncEngine) -> None:
    async with serve(engine.url.render_as_string(False)) as api:
        results = await asyncio.gather(*(_record(api, _input("double-click")) for _ in range(4)))
    assert {r["__typename"] for r in results} == {"OfferResponseSuccess"}
    assert sorted(r["replayed"] for r in results) == [False, True, True, True]
    assert len({r["offerResponse"]["id"] for r in results}) == 1
    assert len(await _rows(engine)) == 1
