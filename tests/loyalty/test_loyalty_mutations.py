"""The points mutations over HTTP: what the client gets back, and what the ledger holds after."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from loyalty_support import Member, Members, account_row, assert_ledger_exact, ledger

from gqltest import Api, new_database, serve  # isort: skip (found through loyalty_support)

from c360.graphql.ids import encode_id

RESULT = """
  __typename
  ... on PointsEntrySuccess {
    replayed
    entry { id kind points remainingPoints reason sourceRef occurredAt expiresAt }
    account { pointsBalance lifetimePoints tier { code } }
  }
  ... on PointsEntryError { code message field }
"""
EARN = f"mutation($input: EarnPointsInput!) {{ earnPoints(input: $input) {{ {RESULT} }} }}"
REDEEM = f"mutation($input: RedeemPointsInput!) {{ redeemPoints(input: $input) {{ {RESULT} }} }}"
ADJUST = f"mutation($input: AdjustPointsInput!) {{ adjustPoints(input: $input) {{ {RESULT} }} }}"
REVERSE = (
    "mutation($input: ReversePointsEntryInput!) "
    f"{{ reversePointsEntry(input: $input) {{ {RESULT} }} }}"
)


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    async with serve(await new_database(database_factory)) as api:
        yield api


@pytest.fixture(scope="module")
async def members(api: Api) -> Members:
    return Members(api.engine)


async def call(api: Api, mutation: str, **input: Any) -> dict[str, Any]:
    data = await api.data(mutation, {"input": input})
    (result,) = data.values()
    return result  # type: ignore[no-any-return]


def points_input(member: Member, points: int, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "customerId": member.gid,
        "points": points,
        "reason": "test",
        "idempotencyKey": key,
        **extra,
    }


# success ---------------------------------------------------------------------------


async def test_earn_books_a_lot_and_moves_the_caches(api: Api, members: Members) -> None:
    member = await members.new(((100, 10),))
    result = await call(
        api, EARN, **points_input(member, 250, "earn-1", reason="card spend", sourceRef="T-1")
    )
    assert result["__typename"] == "PointsEntrySuccess"
    assert result["replayed"] is False
    assert result["entry"] | {"occurredAt": None, "expiresAt": None, "id": None} == {
        "id": None,
        "kind": "EARN",
        "points": 250,
        "remainingPoints": 250,
        "reason": "card spend",
        "sourceRef": "T-1",
        "occurredAt": None,
        "expiresAt": None,
    }
    occurred = dt.datetime.fromisoformat(result["entry"]["occurredAt"])
    expires = dt.datetime.fromisoformat(result["entry"]["expiresAt"])
    assert expires.year == occurred.year + 1  # the program's 12 months of validity
    assert result["account"] == {
        "pointsBalance": 350,
        "lifetimePoints": 350,
        "tier": {"code": "BRONZE"},
    }
    rows = await ledger(api.engine, member.account_id)
    assert [(r.kind, r.points, r.remaining_points, r.idempotency_key) for r in rows[1:]] == [
        ("earn", 250, 250, "earn-1")
    ]
    assert (await account_row(api.engine, member.account_id)).version == 2
    assert await assert_ledger_exact(api.engine, member.account_id) == 350


async def test_redeem_consumes_the_oldest_lots_first(api: Api, members: Members) -> None:
    member = await members.new(((100, 200), (100, 100), (100, 10)))
    result = await call(api, REDEEM, **points_input(member, 150, "r-1"))
    assert result["entry"]["points"] == -150
    assert result["entry"]["remainingPoints"] is None
    assert result["account"]["pointsBalance"] == 150
    rows = await ledger(api.engine, member.account_id)
    assert [r.remaining_points for r in rows] == [0, 50, 100, None]
    assert await assert_ledger_exact(api.engine, member.account_id) == 150


async def test_an_expired_lot_is_not_available_before_the_expiry_run(
    api: Api, members: Members
) -> None:
    member = await members.new(((500, 400), (100, 10)))  # the 500 expired 35 days ago
    result = await call(api, REDEEM, **points_input(member, 101, "r-1"))
    assert result["code"] == "INSUFFICIENT_POINTS"
    assert "100 available" in result["message"]
    ok = await call(api, REDEEM, **points_input(member, 100, "r-2"))
    assert ok["account"]["pointsBalance"] == 500  # the expired lot waits for `loyalty expire`
    assert await assert_ledger_exact(api.engine, member.account_id) == 500


async def test_adjust_up_books_a_lot_and_down_consumes_lots(api: Api, members: Members) -> None:
    member = await members.new(((100, 20),))
    up = await call(api, ADJUST, **points_input(member, 40, "a-1"))
    assert (up["entry"]["kind"], up["entry"]["remainingPoints"]) == ("ADJUST", 40)
    assert up["account"] == {
        "pointsBalance": 140,
        "lifetimePoints": 100,
        "tier": {"code": "BRONZE"},
    }
    down = await call(api, ADJUST, **points_input(member, -120, "a-2"))
    assert (down["entry"]["points"], down["entry"]["remainingPoints"]) == (-120, None)
    rows = await ledger(api.engine, member.account_id)
    assert [r.remaining_points for r in rows] == [0, 20, None]
    assert await assert_ledger_exact(api.engine, member.account_id) == 20


async def test_reversing_an_earn_takes_back_what_is_left_of_the_lot(
    api: Api, members: Members
) -> None:
    member = await members.new(((100, 30), (100, 20)))
    await call(api, REDEEM, **points_input(member, 130, "r-1"))  # second lot: 70 left
    result = await call(
        api,
        REVERSE,
        customerId=member.gid,
        entryId=member.lot_gid(1),
        reason="refund",
        idempotencyKey="rev-1",
    )
    assert result["entry"]["kind"] == "REVERSAL"
    assert result["entry"]["points"] == -70
    assert result["account"] == {
        "pointsBalance": 0,
        "lifetimePoints": 130,
        "tier": {"code": "BRONZE"},
    }
    rows = await ledger(api.engine, member.account_id)
    assert rows[-1].reverses_entry_id == member.lot_ids[1]
    assert await assert_ledger_exact(api.engine, member.account_id) == 0


async def test_reversing_a_redemption_restores_its_points_as_a_new_lot(
    api: Api, members: Members
) -> None:
    member = await members.new(((100, 30),))
    redeemed = await call(api, REDEEM, **points_input(member, 60, "r-1"))
    result = await call(
        api,
        REVERSE,
        customerId=member.gid,
        entryId=redeemed["entry"]["id"],
        reason="order cancelled",
        idempotencyKey="rev-1",
    )
    assert (result["entry"]["points"], result["entry"]["remainingPoints"]) == (60, 60)
    assert result["entry"]["expiresAt"] is not None
    assert result["account"]["pointsBalance"] == 100
    assert result["account"]["lifetimePoints"] == 100
    assert await assert_ledger_exact(api.engine, member.account_id) == 100


async def test_earning_past_a_threshold_raises_the_tier(api: Api, members: Members) -> None:
    member = await members.new(((2900, 100), (5000, 500)))  # the old 5000 does not qualify
    result = await call(api, EARN, **points_input(member, 100, "e-1"))
    assert result["account"]["tier"] == {"code": "SILVER"}
    result = await call(api, EARN, **points_input(member, 3000, "e-2"))
    assert result["account"]["tier"] == {"code": "GOLD"}
    reversed_ = await call(
        api,
        REVERSE,
        customerId=member.gid,
        entryId=result["entry"]["id"],
        reason="fraud",
        idempotencyKey="rev-1",
    )
    assert reversed_["account"]["tier"] == {"code": "SILVER"}


# idempotency -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutation", "points", "balance"),
    [(EARN, 30, 130), (REDEEM, 30, 70), (ADJUST, -30, 70), (ADJUST, 30, 130)],
)
async def test_a_retry_with_the_same_key_returns_the_original_and_books_once(
    api: Api, members: Members, mutation: str, points: int, balance: int
) -> None:
    member = await members.new(((100, 10),))
    first = await call(api, mutation, **points_input(member, points, "same"))
    again = await call(api, mutation, **points_input(member, points, "same"))
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["entry"] == first["entry"]
    assert again["account"] == first["account"]
    assert len(await ledger(api.engine, member.account_id)) == 2
    assert await assert_ledger_exact(api.engine, member.account_id) == balance


async def test_a_reversal_retry_returns_the_original(api: Api, members: Members) -> None:
    member = await members.new(((100, 10),))
    request = {
        "customerId": member.gid,
        "entryId": member.lot_gid(0),
        "reason": "refund",
        "idempotencyKey": "rev",
    }
    first = await call(api, REVERSE, **request)
    again = await call(api, REVERSE, **request)
    assert (first["replayed"], again["replayed"], again["entry"]) == (False, True, first["entry"])
    other_key = await call(api, REVERSE, **{**request, "idempotencyKey": "rev-2"})
    assert other_key["code"] == "ALREADY_REVERSED"
    assert len(await ledger(api.engine, member.account_id)) == 2


async def test_the_same_key_for_a_different_request_is_refused(api: Api, members: Members) -> None:
    member = await members.new(((100, 10),))
    await call(api, EARN, **points_input(member, 30, "k"))
    for mutation, points in ((EARN, 31), (REDEEM, 30), (ADJUST, 30)):
        result = await call(api, mutation, **points_input(member, points, "k"))
        assert (result["code"], result["field"]) == (
            "IDEMPOTENCY_KEY_REUSED",
            ["input", "idempotencyKey"],
        )
    assert len(await ledger(api.engine, member.account_id)) == 2


async def test_keys_are_per_account(api: Api, members: Members) -> None:
    one, two = await members.new(), await members.new()
    first = await call(api, EARN, **points_input(one, 10, "shared"))
    second = await call(api, EARN, **points_input(two, 10, "shared"))
    assert (first["replayed"], second["replayed"]) == (False, False)


# refusals --------------------------------------------------------------------------

_LONG = "x" * 201
_NOW = dt.datetime.now(dt.UTC)
_INVALID = [
    (EARN, {"points": 0}, "INVALID_POINTS", "points"),
    (EARN, {"points": -5}, "INVALID_POINTS", "points"),
    (EARN, {"points": 1_000_001}, "INVALID_POINTS", "points"),
    (REDEEM, {"points": -1}, "INVALID_POINTS", "points"),
    (ADJUST, {"points": 0}, "INVALID_POINTS", "points"),
    (ADJUST, {"points": -1_000_001}, "INVALID_POINTS", "points"),
    (EARN, {"reason": ""}, "INVALID_INPUT", "reason"),
    (EARN, {"reason": "   "}, "INVALID_INPUT", "reason"),
    (REDEEM, {"reason": _LONG}, "INVALID_INPUT", "reason"),
    (ADJUST, {"idempotencyKey": "k" * 65}, "INVALID_INPUT", "idempotencyKey"),
    (EARN, {"idempotencyKey": ""}, "INVALID_INPUT", "idempotencyKey"),
    (EARN, {"idempotencyKey": "c360:expire:1"}, "INVALID_INPUT", "idempotencyKey"),
    (EARN, {"sourceRef": "s" * 65}, "INVALID_INPUT", "sourceRef"),
    (EARN, {"programCode": "NOPE"}, "LOYALTY_ACCOUNT_NOT_FOUND", "programCode"),
    (
        EARN,
        {"occurredAt": (_NOW + dt.timedelta(days=2)).isoformat()},
        "INVALID_INPUT",
        "occurredAt",
    ),
    (
        EARN,
        {
            "occurredAt": (_NOW - dt.timedelta(days=2)).isoformat(),
            "expiresAt": (_NOW - dt.timedelta(days=3)).isoformat(),
        },
        "INVALID_INPUT",
        "expiresAt",
    ),
    (EARN, {"occurredAt": "2026-01-01T10:00:00"}, "INVALID_INPUT", "occurredAt"),
    (EARN, {"customerId": encode_id("Customer", 999_999)}, "CUSTOMER_NOT_FOUND", "customerId"),
    (EARN, {"customerId": encode_id("Holding", 1)}, "INVALID_INPUT", "customerId"),
    (EARN, {"customerId": "not-an-id"}, "INVALID_INPUT", "customerId"),
    (REDEEM, {"points": 101}, "INSUFFICIENT_POINTS", "points"),
    (ADJUST, {"points": -101}, "INSUFFICIENT_POINTS", "points"),
]


@pytest.mark.parametrize(("mutation", "override", "code", "field"), _INVALID)
async def test_invalid_input_is_a_typed_error_and_writes_nothing(
    api: Api, members: Members, mutation: str, override: dict[str, Any], code: str, field: str
) -> None:
    member = await members.new(((100, 10),))
    before = (
        await ledger(api.engine, member.account_id),
        await account_row(api.engine, member.account_id),
    )
    result = await call(api, mutation, **{**points_input(member, 10, "k"), **override})
    assert result["__typename"] == "PointsEntryError"
    assert (result["code"], result["field"]) == (code, ["input", field])
    assert result["message"]
    after = (
        await ledger(api.engine, member.account_id),
        await account_row(api.engine, member.account_id),
    )
    assert after == before


async def test_a_customer_without_an_account(api: Api, members: Members) -> None:
    member = await members.new(with_account=False)
    result = await call(api, EARN, **points_input(member, 10, "k"))
    assert (result["code"], result["field"]) == (
        "LOYALTY_ACCOUNT_NOT_FOUND",
        ["input", "customerId"],
    )


async def test_a_member_of_two_programs_names_the_program(api: Api, members: Members) -> None:
    member = await members.new(((100, 10),))
    miles = members.rows.program("MILES")
    members.rows.loyalty_account(
        member.customer_id, miles, members.rows.tier(miles, "BASIC", 0, threshold_points=0)
    )
    await members.rows.insert(api.engine)
    unnamed = await call(api, EARN, **points_input(member, 10, "k"))
    assert (unnamed["code"], unnamed["field"]) == ("INVALID_INPUT", ["input", "programCode"])
    named = await call(api, EARN, **points_input(member, 10, "k", programCode="MILES"))
    assert named["account"] == {
        "pointsBalance": 10,
        "lifetimePoints": 10,
        "tier": {"code": "BASIC"},
    }
    # A reversal finds the account through its entry.
    result = await call(
        api,
        REVERSE,
        customerId=member.gid,
        entryId=named["entry"]["id"],
        reason="refund",
        idempotencyKey="rev",
    )
    assert result["account"]["pointsBalance"] == 0
    assert await assert_ledger_exact(api.engine, member.account_id) == 100


async def test_a_closed_account_takes_no_points(api: Api, members: Members) -> None:
    member = await members.new(((100, 10),), status="closed")
    result = await call(api, EARN, **points_input(member, 10, "k"))
    assert (result["code"], result["field"]) == ("ACCOUNT_NOT_ACTIVE", None)
    assert len(await ledger(api.engine, member.account_id)) == 1


async def test_reversal_refusals(api: Api, members: Members) -> None:
    member, other = await members.new(((100, 10),)), await members.new(((100, 10),))
    adjusted = await call(api, ADJUST, **points_input(member, 5, "a"))
    redeemed_all = await call(api, REDEEM, **points_input(member, 105, "r"))
    assert redeemed_all["account"]["pointsBalance"] == 0

    async def reverse(entry_id: str, key: str) -> dict[str, Any]:
        return await call(
            api, REVERSE, customerId=member.gid, entryId=entry_id, reason="x", idempotencyKey=key
        )

    cases = [
        (other.lot_gid(0), "ENTRY_NOT_FOUND"),  # another customer's entry
        (encode_id("LedgerEntry", 999_999), "ENTRY_NOT_FOUND"),
        (adjusted["entry"]["id"], "ENTRY_NOT_REVERSIBLE"),
        (member.lot_gid(0), "ENTRY_NOT_REVERSIBLE"),  # fully redeemed: nothing left
    ]
    for n, (entry_id, code) in enumerate(cases):
        result = await reverse(entry_id, f"k{n}")
        assert (result["code"], result["field"]) == (code, ["input", "entryId"])
    malformed = await reverse(encode_id("Customer", 1), "k-bad")
    assert (malformed["code"], malformed["field"]) == ("INVALID_INPUT", ["input", "entryId"])
    assert len(await ledger(api.engine, member.account_id)) == 3
    assert await assert_ledger_exact(api.engine, member.account_id) == 0


@pytest.mark.parametrize(
    "points", [2**31, "ten", 1.5, None], ids=["int-overflow", "string", "float", "null"]
)
async def test_wrong_types_fail_validation(api: Api, members: Members, points: Any) -> None:
    member = await members.new(((100, 10),))
    codes = await api.error_codes(
        EARN, {"input": points_input(member, 1, "k") | {"points": points}}
    )
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert len(await ledger(api.engine, member.account_id)) == 1


async def test_a_mutation_over_get_is_refused(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": EARN})
    assert response.status_code == 405


async def test_100_concurrent_redemptions_over_http_never_overdraw(
    api: Api, members: Members
) -> None:
    member = await members.new(((300, 20), (200, 10)))
    results = await asyncio.gather(
        *(call(api, REDEEM, **points_input(member, 7, f"c-{n}")) for n in range(100))
    )
    outcomes = Counter(result.get("code", "OK") for result in results)
    assert outcomes == Counter({"OK": 71, "INSUFFICIENT_POINTS": 29})
    balances = sorted(r["account"]["pointsBalance"] for r in results if "account" in r)
    assert balances == list(range(3, 500, 7))  # each success saw its own step down
    assert await assert_ledger_exact(api.engine, member.account_id) == 3
