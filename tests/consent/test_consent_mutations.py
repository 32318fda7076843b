"""grantConsent and revokeConsent over HTTP: the answer, the rows after, and the read API."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.consent.models import Consent, ConsentPurpose
from write_support import World, count_rows, gid, invisible, parse_time, rows_of

consent = Consent.__table__

RESULT = """
    __typename
    ... on ConsentSuccess {
      recorded
      consent { id purpose partner { code name } granted capturedAt source }
      consents { purpose partner { code } granted }
    }
    ... on ConsentError { code message field }
"""
GRANT = f"mutation($input: GrantConsentInput!) {{ grantConsent(input: $input) {{ {RESULT} }} }}"
REVOKE = f"mutation($input: RevokeConsentInput!) {{ revokeConsent(input: $input) {{ {RESULT} }} }}"
READ = """
query($id: ID!) {
  customer(id: $id) {
    consents { purpose partner { code } granted source }
    consentHistory { id granted }
    summary { flags }
  }
}"""


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    async with serve(await new_database(database_factory)) as api:
        yield api


@pytest.fixture(scope="module")
async def world(api: Api) -> World:
    world = World(api.engine)
    world.rows.partner("ACME_INS", "Acme Insurance")
    world.rows.partner("SHOPCO", "ShopCo")
    await world.insert()
    return world


async def call(api: Api, mutation: str, **input: Any) -> dict[str, Any]:
    data = await api.data(mutation, {"input": input})
    (result,) = data.values()
    return result  # type: ignore[no-any-return]


def decision(customer_id: int, purpose: str = "MARKETING", **extra: Any) -> dict[str, Any]:
    return {
        "customerId": gid("Customer", customer_id),
        "purpose": purpose,
        "source": "web",
        **extra,
    }


async def read(api: Api, customer_id: int) -> dict[str, Any]:
    data = await api.data(READ, {"id": gid("Customer", customer_id)})
    return data["customer"]  # type: ignore[no-any-return]


# success -----------------------------------------------------------------------------


async def test_grant_appends_a_row_and_the_read_api_shows_it_at_once(
    api: Api, world: World
) -> None:
    customer_id = await world.customer()
    assert "NO_MARKETING_CONSENT" in (await read(api, customer_id))["summary"]["flags"]
    before = dt.datetime.now(dt.UTC)
    result = await call(api, GRANT, **decision(customer_id, source=" branch "))
    assert result["recorded"] is True
    body = result["consent"]
    assert body | {"id": None, "capturedAt": None} == {
        "id": None,
        "purpose": "MARKETING",
        "partner": None,
        "granted": True,
        "capturedAt": None,
        "source": "branch",
    }
    assert parse_time(body["capturedAt"]) >= before - dt.timedelta(seconds=1)
    assert result["consents"] == [{"purpose": "MARKETING", "partner": None, "granted": True}]
    (row,) = await rows_of(api.engine, consent, customer_id=customer_id)
    assert gid("Consent", row.id) == body["id"]
    assert (row.purpose, row.partner_id, row.granted, row.source) == (
        ConsentPurpose.MARKETING,
        None,
        True,
        "branch",
    )
    assert row.captured_at.isoformat() == body["capturedAt"]
    seen = await read(api, customer_id)
    assert seen["consents"] == [
        {"purpose": "MARKETING", "partner": None, "granted": True, "source": "branch"}
    ]
    assert "NO_MARKETING_CONSENT" not in seen["summary"]["flags"]


async def test_revoke_appends_and_never_changes_earlier_rows(api: Api, world: World) -> None:
    customer_id = await world.customer()
    granted = await call(api, GRANT, **decision(customer_id, "PROFILING"))
    (first,) = await rows_of(api.engine, consent, customer_id=customer_id)
    revoked = await call(api, REVOKE, **decision(customer_id, "PROFILING", source="mailing"))
    assert revoked["recorded"] is True
    assert revoked["consent"]["granted"] is False
    assert revoked["consent"]["id"] != granted["consent"]["id"]
    assert revoked["consents"] == [{"purpose": "PROFILING", "partner": None, "granted": False}]
    rows = await rows_of(api.engine, consent, customer_id=customer_id)
    assert rows[0] == first  # the grant is still there, unchanged
    assert [(r.granted, r.source) for r in rows] == [(True, "web"), (False, "mailing")]
    seen = await read(api, customer_id)
    assert seen["consents"] == [
        {"purpose": "PROFILING", "partner": None, "granted": False, "source": "mailing"}
    ]
    assert [h["id"] for h in seen["consentHistory"]] == [
        revoked["consent"]["id"],
        granted["consent"]["id"],
    ]
    regranted = await call(api, GRANT, **decision(customer_id, "PROFILING"))
    assert regranted["recorded"] is True
    assert len(await rows_of(api.engine, consent, customer_id=customer_id)) == 3
    assert (await read(api, customer_id))["consents"][0]["granted"] is True


@pytest.mark.parametrize("mutation", [GRANT, REVOKE], ids=["grant", "revoke"])
async def test_a_decision_in_force_records_nothing(api: Api, world: World, mutation: str) -> None:
    customer_id = await world.customer()
    first = await call(api, mutation, **decision(customer_id))
    again = await call(api, mutation, **decision(customer_id, source="crm"))
    assert (first["recorded"], again["recorded"]) == (True, False)
    assert again["consent"] == first["consent"]  # the row in force, source "web" and all
    assert again["consents"] == first["consents"]
    assert len(await rows_of(api.engine, consent, customer_id=customer_id)) == 1


async def test_revoking_what_was_never_decided_records_the_refusal(api: Api, world: World) -> None:
    customer_id = await world.customer()
    result = await call(api, REVOKE, **decision(customer_id))
    assert (result["recorded"], result["consent"]["granted"]) == (True, False)
    (row,) = await rows_of(api.engine, consent, customer_id=customer_id)
    assert row.granted is False


async def test_partner_sharing_is_per_partner(api: Api, world: World) -> None:
    customer_id = await world.customer()
    acme = await call(
        api, GRANT, **decision(customer_id, "PARTNER_SHARING", partnerCode="ACME_INS")
    )
    assert acme["consent"]["partner"] == {"code": "ACME_INS", "name": "Acme Insurance"}
    await call(api, GRANT, **decision(customer_id, "PARTNER_SHARING", partnerCode="SHOPCO"))
    revoked = await call(
        api, REVOKE, **decision(customer_id, "PARTNER_SHARING", partnerCode="ACME_INS")
    )
    expected = [
        {"purpose": "PARTNER_SHARING", "partner": {"code": "ACME_INS"}, "granted": False},
        {"purpose": "PARTNER_SHARING", "partner": {"code": "SHOPCO"}, "granted": True},
    ]
    assert revoked["consents"] == expected
    seen = await read(api, customer_id)
    assert [{k: c[k] for k in ("purpose", "partner", "granted")} for c in seen["consents"]] == (
        expected
    )
    rows = await rows_of(api.engine, consent, customer_id=customer_id)
    assert [r.granted for r in rows] == [True, True, False]


# refusals ----------------------------------------------------------------------------

_REFUSALS = [
    ({"purpose": "PARTNER_SHARING"}, "PARTNER_REQUIRED", "partnerCode"),
    ({"partnerCode": "ACME_INS"}, "PARTNER_NOT_ALLOWED", "partnerCode"),
    ({"purpose": "PARTNER_SHARING", "partnerCode": "NOPE"}, "PARTNER_NOT_FOUND", "partnerCode"),
    (
        {"purpose": "PARTNER_SHARING", "partnerCode": "X" * 33},
        "PARTNER_NOT_FOUND",
        "partnerCode",
    ),
    ({"source": ""}, "INVALID_INPUT", "source"),
    ({"source": "  "}, "INVALID_INPUT", "source"),
    ({"source": "s" * 41}, "INVALID_INPUT", "source"),
    ({"customerId": gid("Customer", 999_999)}, "CUSTOMER_NOT_FOUND", "customerId"),
    ({"customerId": gid("Consent", 1)}, "INVALID_INPUT", "customerId"),
]


@pytest.mark.parametrize("mutation", [GRANT, REVOKE], ids=["grant", "revoke"])
@pytest.mark.parametrize(("override", "code", "field"), _REFUSALS)
async def test_refusals_write_nothing(
    api: Api, world: World, mutation: str, override: dict[str, Any], code: str, field: str
) -> None:
    customer_id = await world.customer()
    before = await count_rows(api.engine, consent)
    result = await call(api, mutation, **{**decision(customer_id), **override})
    assert result["__typename"] == "ConsentError"
    assert (result["code"], result["field"]) == (code, ["input", field])
    assert result["message"]
    assert await count_rows(api.engine, consent) == before


async def test_a_customer_the_caller_may_not_see_is_not_found(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = await world.customer()
    with invisible(monkeypatch, customer_id):
        granted = await call(api, GRANT, **decision(customer_id))
        revoked = await call(api, REVOKE, **decision(customer_id))
    for result in (granted, revoked):
        assert (result["code"], result["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "customerId"])
    assert await rows_of(api.engine, consent, customer_id=customer_id) == []


async def test_an_unknown_purpose_fails_validation(api: Api, world: World) -> None:
    customer_id = await world.customer()
    codes = await api.error_codes(GRANT, {"input": decision(customer_id, "SPAM")})
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert await rows_of(api.engine, consent, customer_id=customer_id) == []


async def test_concurrent_identical_grants_append_one_row(api: Api, world: World) -> None:
    customer_id = await world.customer()
    results = await asyncio.gather(*(call(api, GRANT, **decision(customer_id)) for _ in range(8)))
    assert Counter(result["recorded"] for result in results) == Counter({True: 1, False: 7})
    assert len({result["consent"]["id"] for result in results}) == 1
    assert len(await rows_of(api.engine, consent, customer_id=customer_id)) == 1


async def test_a_source_at_its_column_size_is_stored_whole(api: Api, world: World) -> None:
    customer_id = await world.customer()
    result = await call(api, GRANT, **decision(customer_id, source="s" * 40))
    assert result["consent"]["source"] == "s" * 40
    (row,) = await rows_of(api.engine, consent, customer_id=customer_id)
    assert row.source == "s" * 40
