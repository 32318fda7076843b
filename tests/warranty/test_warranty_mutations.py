"""registerWarranty, fileWarrantyClaim, decideWarrantyClaim over HTTP: the answer, the rows."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from gqltest import Api, new_database, serve
from sqlalchemy import update

from c360.graphql.ids import decode_id_of
from c360.holdings.models import ProductCategory
from c360.warranty.models import WarrantyClaim, WarrantyPolicy
from write_support import World, count_rows, gid, invisible, parse_time, rows_of

policy = WarrantyPolicy.__table__
claim = WarrantyClaim.__table__

TODAY = dt.datetime.now(dt.UTC).date()
POLICY_FIELDS = """
  productModel manufacturer serialNumber purchaseDate coverageStartDate coverageEndDate
  kind pricePaid { amount currency } coverageValue { amount currency } status
  product { code }
"""
REGISTER = f"""
mutation($input: RegisterWarrantyInput!) {{
  registerWarranty(input: $input) {{
    __typename
    ... on WarrantyPolicySuccess {{ policy {{ id {POLICY_FIELDS} }} }}
    ... on WarrantyError {{ code message field }}
  }}
}}"""
CLAIM_RESULT = """
    __typename
    ... on WarrantyClaimSuccess {
      claim {
        id defectDescription reportedAt status decision resolvedAt amount { amount currency }
      }
    }
    ... on WarrantyError { code message field }
"""
FILE = f"""
mutation($input: FileWarrantyClaimInput!) {{
  fileWarrantyClaim(input: $input) {{ {CLAIM_RESULT} }}
}}"""
DECIDE = f"""
mutation($input: DecideWarrantyClaimInput!) {{
  decideWarrantyClaim(input: $input) {{ {CLAIM_RESULT} }}
}}"""


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


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def warranty(customer_id: int, **extra: Any) -> dict[str, Any]:
    """A manufacturer's warranty bought 100 days ago, for two years."""
    return {
        "customerId": gid("Customer", customer_id),
        "productModel": "Vela One 128 GB",
        "manufacturer": "Vela",
        "serialNumber": "VL-0001",
        "purchaseDate": days(-100),
        "coverageMonths": 24,
        "kind": "MANUFACTURER",
        "pricePaid": "0",
        "coverageValue": "2399.00",
        "currency": "PLN",
        **extra,
    }


async def registered(api: Api, customer_id: int, **extra: Any) -> dict[str, Any]:
    result = await call(api, REGISTER, **warranty(customer_id, **extra))
    assert result["__typename"] == "WarrantyPolicySuccess", result
    return result["policy"]  # type: ignore[no-any-return]


async def filed(api: Api, policy_gid: str, **extra: Any) -> dict[str, Any]:
    claim_input = {"policyId": policy_gid, "defectDescription": "Screen dark.", **extra}
    result = await call(api, FILE, **claim_input)
    assert result["__typename"] == "WarrantyClaimSuccess", result
    return result["claim"]  # type: ignore[no-any-return]


async def set_policy_status(api: Api, policy_gid: str, status: str) -> None:
    pk = decode_id_of("WarrantyPolicy", policy_gid)
    async with api.engine.begin() as conn:
        await conn.execute(update(policy).where(policy.c.id == pk).values(status=status))


# registerWarranty --------------------------------------------------------------------


async def test_register_warranty_stores_the_policy(api: Api, world: World) -> None:
    customer_id = await world.customer()
    product_id = world.rows.product("SMARTPHONE_X", ProductCategory.RETAIL_GOODS)
    await world.insert()
    result = await call(
        api,
        REGISTER,
        **warranty(
            customer_id,
            productModel=" Vela One 128 GB ",
            productId=gid("Product", product_id),
            pricePaid="199.99",
            coverageMonths=None,
            coverageStartDate=days(-90),
            coverageEndDate=days(640),
            kind="EXTENDED",
        ),
    )
    body = result["policy"]
    assert body | {"id": None} == {
        "id": None,
        "productModel": "Vela One 128 GB",
        "manufacturer": "Vela",
        "serialNumber": "VL-0001",
        "purchaseDate": days(-100),
        "coverageStartDate": days(-90),
        "coverageEndDate": days(640),
        "kind": "EXTENDED",
        "pricePaid": {"amount": "199.99", "currency": "PLN"},
        "coverageValue": {"amount": "2399.00", "currency": "PLN"},
        "status": "ACTIVE",
        "product": {"code": "SMARTPHONE_X"},
    }
    (row,) = await rows_of(api.engine, policy, customer_id=customer_id)
    assert gid("WarrantyPolicy", row.id) == body["id"]
    assert (row.product_id, row.kind, row.status, row.currency) == (
        product_id,
        "extended",
        "active",
        "PLN",
    )
    assert (row.price_paid, row.coverage_value) == (Decimal("199.99"), Decimal("2399.00"))
    assert (row.purchase_date, row.coverage_start_date, row.coverage_end_date) == (
        TODAY - dt.timedelta(days=100),
        TODAY - dt.timedelta(days=90),
        TODAY + dt.timedelta(days=640),
    )
    data = await api.data(
        "query($id: ID!) { customer(id: $id) { warranties { id } summary { activeWarranties } } }",
        {"id": gid("Customer", customer_id)},
    )
    assert data["customer"] == {
        "warranties": [{"id": body["id"]}],
        "summary": {"activeWarranties": 1},
    }


async def test_months_count_to_the_day_before_and_past_coverage_is_expired(
    api: Api, world: World
) -> None:
    customer_id = await world.customer()
    current = await registered(api, customer_id, purchaseDate="2026-01-31", coverageMonths=1)
    assert (current["coverageStartDate"], current["coverageEndDate"]) == (
        "2026-01-31",
        "2026-02-27",  # a month after 31 January is the 28th, the last day covered the 27th
    )
    assert current["status"] == "EXPIRED"
    recent = await registered(
        api, customer_id, serialNumber="VL-0002", purchaseDate=days(-10), coverageMonths=12
    )
    assert recent["status"] == "ACTIVE"


_REGISTER_REFUSALS = [
    ({"purchaseDate": days(1)}, "INVALID_DATES", "purchaseDate"),
    ({"purchaseDate": "1969-12-31"}, "INVALID_DATES", "purchaseDate"),
    ({"coverageStartDate": days(-101)}, "INVALID_DATES", "coverageStartDate"),
    ({"coverageStartDate": days(-100 + 3700)}, "INVALID_DATES", "coverageStartDate"),
    (
        {"coverageMonths": None, "coverageEndDate": days(-100)},
        "INVALID_DATES",
        "coverageEndDate",
    ),
    (
        {"coverageMonths": None, "coverageEndDate": days(-101)},
        "INVALID_DATES",
        "coverageEndDate",
    ),
    (
        {"coverageMonths": None, "coverageEndDate": days(-100 + 3700)},
        "INVALID_DATES",
        "coverageEndDate",
    ),
    ({"coverageEndDate": days(300)}, "INVALID_INPUT", "coverageEndDate"),
    ({"coverageMonths": None}, "INVALID_INPUT", "coverageMonths"),
    ({"coverageMonths": 0}, "INVALID_INPUT", "coverageMonths"),
    ({"coverageMonths": 121}, "INVALID_INPUT", "coverageMonths"),
    ({"productModel": ""}, "INVALID_INPUT", "productModel"),
    ({"productModel": "m" * 121}, "INVALID_INPUT", "productModel"),
    ({"manufacturer": "m" * 81}, "INVALID_INPUT", "manufacturer"),
    ({"serialNumber": "  "}, "INVALID_INPUT", "serialNumber"),
    ({"serialNumber": "s" * 65}, "INVALID_INPUT", "serialNumber"),
    ({"currency": "pln"}, "INVALID_INPUT", "currency"),
    ({"currency": "PLNX"}, "INVALID_INPUT", "currency"),
    ({"pricePaid": "-0.01"}, "INVALID_INPUT", "pricePaid"),
    ({"pricePaid": "10000000.01"}, "INVALID_INPUT", "pricePaid"),
    ({"pricePaid": "1e30"}, "INVALID_INPUT", "pricePaid"),
    ({"pricePaid": "NaN"}, "INVALID_INPUT", "pricePaid"),
    ({"coverageValue": "0"}, "INVALID_INPUT", "coverageValue"),
    ({"coverageValue": "10.005"}, "INVALID_INPUT", "coverageValue"),
    ({"coverageValue": "-Infinity"}, "INVALID_INPUT", "coverageValue"),
    ({"customerId": gid("Customer", 999_999)}, "CUSTOMER_NOT_FOUND", "customerId"),
    ({"customerId": "bm9wZQ"}, "INVALID_INPUT", "customerId"),
    ({"productId": gid("Product", 999_999)}, "PRODUCT_NOT_FOUND", "productId"),
    ({"productId": gid("Customer", 1)}, "INVALID_INPUT", "productId"),
]


@pytest.mark.parametrize(("override", "code", "field"), _REGISTER_REFUSALS)
async def test_register_refusals_write_nothing(
    api: Api, world: World, override: dict[str, Any], code: str, field: str
) -> None:
    customer_id = await world.customer()
    before = await count_rows(api.engine, policy)
    result = await call(api, REGISTER, **{**warranty(customer_id), **override})
    assert result["__typename"] == "WarrantyError"
    assert (result["code"], result["field"]) == (code, ["input", field])
    assert result["message"]
    assert await count_rows(api.engine, policy) == before


async def test_a_second_policy_of_a_kind_on_a_device_is_a_duplicate(api: Api, world: World) -> None:
    customer_id, other = await world.customer(), await world.customer()
    await registered(api, customer_id, serialNumber="SN-77")
    again = await call(
        api, REGISTER, **warranty(customer_id, serialNumber=" sn-77 ", manufacturer="VELA")
    )
    assert (again["code"], again["field"]) == ("DUPLICATE_POLICY", ["input", "serialNumber"])
    # The extension on the same device, the same serial of another maker, another customer's
    # device, and a renewal after the first period ended are all new policies.
    await registered(
        api,
        customer_id,
        serialNumber="SN-77",
        kind="EXTENDED",
        coverageStartDate=days(630),
        coverageMonths=12,
    )
    await registered(api, customer_id, serialNumber="SN-77", manufacturer="Orbis")
    await registered(api, other, serialNumber="SN-77")
    await registered(
        api, customer_id, serialNumber="SN-77", coverageStartDate=days(700), coverageMonths=12
    )
    overlapping = await call(
        api,
        REGISTER,
        **warranty(
            customer_id,
            serialNumber="SN-77",
            kind="EXTENDED",
            coverageStartDate=days(900),
            coverageMonths=12,
        ),
    )
    assert overlapping["code"] == "DUPLICATE_POLICY"
    assert len(await rows_of(api.engine, policy, customer_id=customer_id)) == 4


async def test_a_duplicate_beyond_ascii_is_found(api: Api, world: World) -> None:
    customer_id = await world.customer()
    await registered(api, customer_id, manufacturer="Großmann", serialNumber="ß-1")
    again = await call(
        api, REGISTER, **warranty(customer_id, manufacturer="Großmann", serialNumber="ß-1")
    )
    assert again["code"] == "DUPLICATE_POLICY"


async def test_a_cancelled_policy_does_not_block_a_new_one(api: Api, world: World) -> None:
    customer_id = await world.customer()
    first = await registered(api, customer_id, serialNumber="SN-88")
    await set_policy_status(api, first["id"], "cancelled")
    await registered(api, customer_id, serialNumber="SN-88")


@pytest.mark.parametrize(
    ("key", "value"), [("kind", "LIFETIME"), ("pricePaid", "ten"), ("coverageMonths", 2**31)]
)
async def test_register_wrong_types_fail_validation(
    api: Api, world: World, key: str, value: Any
) -> None:
    customer_id = await world.customer()
    codes = await api.error_codes(REGISTER, {"input": warranty(customer_id, **{key: value})})
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert await rows_of(api.engine, policy, customer_id=customer_id) == []


# fileWarrantyClaim -------------------------------------------------------------------


async def test_file_claim_stores_a_submitted_claim(api: Api, world: World) -> None:
    customer_id = await world.customer()
    covered = await registered(api, customer_id)
    before = dt.datetime.now(dt.UTC)
    result = await call(
        api, FILE, policyId=covered["id"], defectDescription="  Screen stays dark.  "
    )
    body = result["claim"]
    assert body | {"id": None, "reportedAt": None} == {
        "id": None,
        "defectDescription": "Screen stays dark.",
        "reportedAt": None,
        "status": "SUBMITTED",
        "decision": None,
        "resolvedAt": None,
        "amount": None,
    }
    assert before - dt.timedelta(seconds=1) <= parse_time(body["reportedAt"])
    (row,) = await rows_of(api.engine, claim, customer_id=customer_id)
    assert gid("WarrantyClaim", row.id) == body["id"]
    assert (row.policy_id, row.status, row.decision, row.amount, row.resolved_at) == (
        decode_id_of("WarrantyPolicy", covered["id"]),
        "submitted",
        None,
        None,
        None,
    )
    assert row.reported_at.isoformat() == body["reportedAt"]
    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on WarrantyPolicy { claims { id status } } } }",
        {"id": covered["id"]},
    )
    assert data["node"]["claims"] == [{"id": body["id"], "status": "SUBMITTED"}]


async def test_a_report_dated_inside_coverage_is_accepted_after_it_ended(
    api: Api, world: World
) -> None:
    customer_id = await world.customer()
    ended = await registered(api, customer_id, purchaseDate=days(-400), coverageMonths=12)
    assert ended["status"] == "EXPIRED"
    reported = f"{days(-40)}T10:00:00+00:00"
    body = await filed(api, ended["id"], reportedAt=reported)
    assert body["reportedAt"] == reported


async def test_file_claim_refusals_write_nothing(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await world.customer()
    covered = await registered(api, customer_id)
    cancelled = await registered(api, customer_id, serialNumber="C-1")
    await set_policy_status(api, cancelled["id"], "cancelled")
    expired = await registered(
        api, customer_id, serialNumber="E-1", purchaseDate=days(-800), coverageMonths=24
    )
    not_started = await registered(
        api, customer_id, serialNumber="N-1", kind="EXTENDED", coverageStartDate=days(20)
    )
    busy = await registered(api, customer_id, serialNumber="B-1")
    await filed(api, busy["id"])
    before = await rows_of(api.engine, claim, customer_id=customer_id)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    cases = [
        ({"policyId": gid("WarrantyPolicy", 999_999)}, "POLICY_NOT_FOUND", "policyId"),
        ({"policyId": gid("WarrantyClaim", 1)}, "INVALID_INPUT", "policyId"),
        ({"defectDescription": ""}, "INVALID_INPUT", "defectDescription"),
        ({"defectDescription": "d" * 4001}, "INVALID_INPUT", "defectDescription"),
        ({"reportedAt": future}, "INVALID_INPUT", "reportedAt"),
        ({"reportedAt": "2026-01-01T10:00:00"}, "INVALID_INPUT", "reportedAt"),
        ({"reportedAt": "1900-01-01T10:00:00+00:00"}, "INVALID_INPUT", "reportedAt"),
        ({"reportedAt": f"{days(-101)}T12:00:00+00:00"}, "OUTSIDE_COVERAGE", "reportedAt"),
        ({"policyId": cancelled["id"]}, "POLICY_NOT_ACTIVE", "policyId"),
        ({"policyId": expired["id"]}, "OUTSIDE_COVERAGE", "policyId"),
        ({"policyId": not_started["id"]}, "OUTSIDE_COVERAGE", "policyId"),
        ({"policyId": busy["id"]}, "CLAIM_ALREADY_OPEN", "policyId"),
    ]
    for override, code, field in cases:
        claim_input = {"policyId": covered["id"], "defectDescription": "Dead.", **override}
        result = await call(api, FILE, **claim_input)
        assert (result["code"], result["field"]) == (code, ["input", field]), override
        assert result["message"]
    with invisible(monkeypatch, customer_id):
        hidden = await call(api, FILE, policyId=covered["id"], defectDescription="Dead.")
    assert (hidden["code"], hidden["field"]) == ("POLICY_NOT_FOUND", ["input", "policyId"])
    assert await rows_of(api.engine, claim, customer_id=customer_id) == before


# decideWarrantyClaim -----------------------------------------------------------------


async def test_decide_refund_then_reject(api: Api, world: World) -> None:
    customer_id = await world.customer()
    covered = await registered(api, customer_id)
    first = await filed(api, covered["id"])
    before = dt.datetime.now(dt.UTC)
    refunded = await call(api, DECIDE, claimId=first["id"], decision="REFUND", amount="2000.50")
    body = refunded["claim"]
    assert body | {"resolvedAt": None} == first | {
        "status": "DECIDED",
        "decision": "REFUND",
        "amount": {"amount": "2000.50", "currency": "PLN"},
        "resolvedAt": None,
    }
    assert parse_time(body["resolvedAt"]) >= before - dt.timedelta(seconds=1)
    (row,) = await rows_of(api.engine, claim, customer_id=customer_id)
    assert (row.status, row.decision, row.amount) == ("decided", "refund", Decimal("2000.50"))
    assert row.resolved_at.isoformat() == body["resolvedAt"]

    second = await filed(api, covered["id"])  # the first is decided: a new one may be filed
    rejected = await call(api, DECIDE, claimId=second["id"], decision="REJECTED")
    assert (rejected["claim"]["decision"], rejected["claim"]["amount"]) == ("REJECTED", None)


async def test_decide_refusals_change_nothing(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await world.customer()
    covered = await registered(api, customer_id)  # coverage value 2399.00
    paid = await filed(api, covered["id"])
    await call(api, DECIDE, claimId=paid["id"], decision="REPAIR", amount="2000.00")
    open_claim = await filed(api, covered["id"])
    before = await rows_of(api.engine, claim, customer_id=customer_id)
    cases = [
        ({"claimId": gid("WarrantyClaim", 999_999)}, "CLAIM_NOT_FOUND", "claimId"),
        ({"claimId": gid("WarrantyPolicy", 1)}, "INVALID_INPUT", "claimId"),
        ({"claimId": paid["id"]}, "CLAIM_NOT_OPEN", "claimId"),
        ({"amount": None}, "AMOUNT_REQUIRED", "amount"),
        ({"decision": "REJECTED"}, "AMOUNT_NOT_ALLOWED", "amount"),
        ({"amount": "0"}, "INVALID_INPUT", "amount"),
        ({"amount": "-5"}, "INVALID_INPUT", "amount"),
        ({"amount": "1.001"}, "INVALID_INPUT", "amount"),
        ({"amount": "99999999999"}, "INVALID_INPUT", "amount"),
        ({"amount": "399.01"}, "AMOUNT_EXCEEDS_COVERAGE", "amount"),
    ]
    for override, code, field in cases:
        decision = {"claimId": open_claim["id"], "decision": "REPLACE", "amount": "10", **override}
        result = await call(api, DECIDE, **decision)
        assert (result["code"], result["field"]) == (code, ["input", field]), override
        assert result["message"]
    with invisible(monkeypatch, customer_id):
        hidden = await call(api, DECIDE, claimId=open_claim["id"], decision="REJECTED")
    assert (hidden["code"], hidden["field"]) == ("CLAIM_NOT_FOUND", ["input", "claimId"])
    codes = await api.error_codes(
        DECIDE, {"input": {"claimId": open_claim["id"], "decision": "MAYBE"}}
    )
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert await rows_of(api.engine, claim, customer_id=customer_id) == before
    # Exactly what is left of the coverage is still allowed.
    last = await call(api, DECIDE, claimId=open_claim["id"], decision="REPLACE", amount="399")
    assert last["claim"]["amount"] == {"amount": "399.00", "currency": "PLN"}


async def test_a_customer_the_caller_may_not_see_cannot_get_a_policy(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await world.customer()
    with invisible(monkeypatch, customer_id):
        result = await call(api, REGISTER, **warranty(customer_id))
    assert (result["code"], result["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "customerId"])
    assert await rows_of(api.engine, policy, customer_id=customer_id) == []


# concurrency -------------------------------------------------------------------------


async def test_concurrent_registrations_of_one_device_make_one_policy(
    api: Api, world: World
) -> None:
    customer_id = await world.customer()
    results = await asyncio.gather(
        *(call(api, REGISTER, **warranty(customer_id, serialNumber="RACE-1")) for _ in range(8))
    )
    outcomes = Counter(result["__typename"] for result in results)
    assert outcomes == Counter({"WarrantyPolicySuccess": 1, "WarrantyError": 7})
    assert {r["code"] for r in results if "code" in r} == {"DUPLICATE_POLICY"}
    assert len(await rows_of(api.engine, policy, customer_id=customer_id)) == 1


async def test_concurrent_claims_on_one_policy_leave_one_open(api: Api, world: World) -> None:
    customer_id = await world.customer()
    covered = await registered(api, customer_id)
    results = await asyncio.gather(
        *(call(api, FILE, policyId=covered["id"], defectDescription="Dead.") for _ in range(8))
    )
    outcomes = Counter(result.get("code", "OK") for result in results)
    assert outcomes == Counter({"OK": 1, "CLAIM_ALREADY_OPEN": 7})
    assert len(await rows_of(api.engine, claim, customer_id=customer_id)) == 1


async def test_strings_at_their_column_sizes_are_stored_whole(api: Api, world: World) -> None:
    customer_id = await world.customer()
    body = await registered(
        api, customer_id, productModel="m" * 120, manufacturer="f" * 80, serialNumber="s" * 64
    )
    assert (body["productModel"], body["manufacturer"], body["serialNumber"]) == (
        "m" * 120,
        "f" * 80,
        "s" * 64,
    )
    other = await registered(api, customer_id)
    claimed = await filed(api, other["id"], defectDescription="d" * 4000)
    assert claimed["defectDescription"] == "d" * 4000
