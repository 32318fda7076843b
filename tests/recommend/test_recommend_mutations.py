"""``recordOfferResponse`` over HTTP, and what the recorded responses do to the offers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gqltest import count_statements, serve
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.graphql.context import Context
from c360.graphql.ids import encode_id
from c360.recommend.eligibility import load_rules
from c360.recommend.models import OfferResponse

RECORD = """
mutation Record($input: RecordOfferResponseInput!) {
  recordOfferResponse(input: $input) {
    __typename
    ... on OfferResponseSuccess {
      offerResponse { customerId productCode productName response channel modelVersion }
    }
    ... on OfferResponseError { code message field }
  }
}
"""

OFFERS = """
query Offers($id: ID!, $channel: Channel) {
  customer(id: $id) { nextBestProducts(first: 5, channel: $channel) { productCode modelVersion } }
}
"""

PAGE = """
query Page($first: Int!) {
  customers(first: $first) { edges { node { id nextBestProducts(first: 3) { productCode } } } }
}
"""


@pytest.fixture
async def api(recommend_engine: AsyncEngine, model_dir: tuple[Path, str]) -> AsyncIterator[Any]:
    async with serve(recommend_engine.url.render_as_string(False)) as client:
        yield client
    # The demo database is shared by the module's tests: leave it as it was.
    async with recommend_engine.begin() as connection:
        await connection.execute(delete(OfferResponse))


async def _stored(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(OfferResponse)))


async def _offered_customer(api: Any) -> tuple[str, list[str]]:
    """A customer with several offers, and the codes offered."""
    data = await api.data(PAGE, {"first": 50})
    for edge in data["customers"]["edges"]:
        codes = [offer["productCode"] for offer in edge["node"]["nextBestProducts"]]
        if len(codes) == 3:
            return edge["node"]["id"], codes
    raise AssertionError("no customer with three offers")


def _input(customer_id: str, code: str, response: str = "REJECTED", channel: str = "BRANCH"):
    return {
        "input": {
            "customerId": customer_id,
            "productCode": code,
            "response": response,
            "channel": channel,
        }
    }


async def test_a_rejection_is_stored_and_the_product_is_no_longer_offered(
    api: Any, model_dir: tuple[Path, str]
) -> None:
    customer_id, codes = await _offered_customer(api)
    variables = _input(customer_id, codes[0])
    variables["input"]["modelVersion"] = model_dir[1]
    result = (await api.data(RECORD, variables))["recordOfferResponse"]

    assert result == {
        "__typename": "OfferResponseSuccess",
        "offerResponse": {
            "customerId": customer_id,
            "productCode": codes[0],
            "productName": result["offerResponse"]["productName"],
            "response": "REJECTED",
            "channel": "BRANCH",
            "modelVersion": model_dir[1],
        },
    }
    async with api.engine.connect() as connection:
        row = (await connection.execute(select(OfferResponse))).one()
    assert (row.response, row.channel, row.model_version) == ("rejected", "branch", model_dir[1])
    offers = (await api.data(OFFERS, {"id": customer_id}))["customer"]["nextBestProducts"]
    assert codes[0] not in [offer["productCode"] for offer in offers]
    assert codes[1] in [offer["productCode"] for offer in offers]


async def test_an_unknown_product_code_is_a_coded_error_and_writes_nothing(api: Any) -> None:
    customer_id, _ = await _offered_customer(api)
    result = (await api.data(RECORD, _input(customer_id, "time_machine")))["recordOfferResponse"]
    assert result["__typename"] == "OfferResponseError"
    assert (result["code"], result["field"]) == ("PRODUCT_NOT_FOUND", ["input", "productCode"])
    assert "time_machine" in result["message"]
    assert await _stored(api.engine) == 0


async def test_an_unknown_customer_is_customer_not_found_and_writes_nothing(api: Any) -> None:
    missing = encode_id("Customer", 10_000_000)
    result = (await api.data(RECORD, _input(missing, "mortgage")))["recordOfferResponse"]
    assert (result["code"], result["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "customerId"])
    assert await _stored(api.engine) == 0


async def test_a_customer_the_caller_may_not_see_is_answered_as_unknown(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id, codes = await _offered_customer(api)

    async def invisible(self: Context, customer_id: int) -> bool:
        return False

    monkeypatch.setattr(Context, "customer_visible", invisible)
    result = (await api.data(RECORD, _input(customer_id, codes[0])))["recordOfferResponse"]
    assert result == {
        "__typename": "OfferResponseError",
        "code": "CUSTOMER_NOT_FOUND",
        "message": "no such customer",
        "field": ["input", "customerId"],
    }
    assert await _stored(api.engine) == 0


async def test_a_malformed_customer_id_is_invalid_input(api: Any) -> None:
    result = (await api.data(RECORD, _input("not-an-id", "mortgage")))["recordOfferResponse"]
    assert (result["code"], result["field"]) == ("INVALID_INPUT", ["input", "customerId"])
    assert await _stored(api.engine) == 0


async def test_an_unknown_response_kind_is_refused_by_the_schema(api: Any) -> None:
    codes = await api.error_codes(RECORD, _input("x", "mortgage", response="MAYBE"))
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert await _stored(api.engine) == 0


async def test_the_cap_per_contact_counts_the_offers_made_on_the_channel(api: Any) -> None:
    cap = load_rules().suppression.max_offers_per_channel
    customer_id, codes = await _offered_customer(api)
    ignored = codes[-1]
    for _ in range(cap):  # the same product shown again and again on the phone
        result = await api.data(RECORD, _input(customer_id, ignored, "IGNORED", "PHONE"))
        assert result["recordOfferResponse"]["__typename"] == "OfferResponseSuccess"

    async def offers(channel: str | None) -> list[str]:
        data = await api.data(OFFERS, {"id": customer_id, "channel": channel})
        return [offer["productCode"] for offer in data["customer"]["nextBestProducts"]]

    assert await offers("PHONE") == []  # the phone allowance is spent
    assert await offers(None) == []  # without a channel every channel counts
    on_the_web = await offers("WEB")
    assert on_the_web, "another channel still has its allowance"
    # Ignored that often, the product itself rests on every channel.
    assert ignored not in on_the_web


async def test_recent_responses_of_a_page_are_read_in_one_statement(api: Any) -> None:
    customer_id, codes = await _offered_customer(api)
    await api.data(RECORD, _input(customer_id, codes[0]))
    with count_statements(api.engine) as small:
        await api.data(PAGE, {"first": 5})
    with count_statements(api.engine) as large:
        await api.data(PAGE, {"first": 50})
    reads = [s for s in large.statements if "offer_response" in s]
    assert len(reads) == 1
    assert len(small) == len(large)
