"""createCustomer and updateCustomer over HTTP: the answer, the stored rows, every refusal."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from customer_support import (
    ADD_CONTACT,
    CREATE,
    REMOVE_CONTACT,
    UPDATE,
    UPDATE_CONTACT,
    call,
    contact_rows,
    customer_row,
    history_rows,
    new_person,
    person,
    row_counts,
    unique_email,
    unique_phone,
)
from gqltest import Api, count_statements, new_database, serve

from c360.customers import contacts, service
from c360.customers.normalize import national_id_hash
from c360.graphql.context import Context
from c360.graphql.ids import encode_id

SEARCH = """
query($query: String!) {
  searchCustomers(query: $query) { edges { matchedOn node { id displayName } } }
}"""


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    async with serve(await new_database(database_factory)) as api:
        yield api


async def search(api: Api, query: str) -> list[tuple[str, str]]:
    data = await api.data(SEARCH, {"query": query})
    return [(edge["node"]["id"], edge["matchedOn"]) for edge in data["searchCustomers"]["edges"]]


# createCustomer ----------------------------------------------------------------------


async def test_create_a_person_with_contacts_and_a_national_id(api: Api) -> None:
    email, phone = unique_email("lucja"), "+48 501 234 567"
    result = await call(
        api,
        CREATE,
        **person(
            givenName="  Łucja ",
            familyName="Pérez-Núñez",
            birthDate="1988-02-29",
            nationalId="880229-12345",
            status="ACTIVE",
            segment="AFFLUENT",
            homeBranch="KRK",
            customerSince="2020-01-15",
            education="MASTER",
            incomeBand="HIGH",
            occupation="architect",
            householdSize=3,
            interests=["travel", "cycling", "travel"],
            preferredChannel="MOBILE",
            preferredLanguage="pl",
            contactPoints=[
                {"kind": "EMAIL", "value": email.upper().replace("EXAMPLE.COM", "Example.COM")},
                {"kind": "PHONE", "value": phone, "label": "mobile"},
                {
                    "kind": "POSTAL",
                    "addressLine1": "ul. Długa 5",
                    "postalCode": "31-147",
                    "city": "Kraków",
                },
            ],
        ),
    )
    assert result["__typename"] == "CustomerSuccess", result
    created = result["customer"]
    contacts = created.pop("contactPoints")
    assert created | {"id": None, "updatedAt": None} == {
        "id": None,
        "version": 1,
        "partyType": "PERSON",
        "displayName": "Łucja Pérez-Núñez",
        "givenName": "Łucja",
        "familyName": "Pérez-Núñez",
        "organisationName": None,
        "birthDate": "1988-02-29",
        "nationalIdLast4": "2345",
        "status": "ACTIVE",
        "segment": "AFFLUENT",
        "homeBranch": "KRK",
        "customerSince": "2020-01-15",
        "education": "MASTER",
        "incomeBand": "HIGH",
        "occupation": "architect",
        "householdSize": 3,
        "interests": ["travel", "cycling"],
        "preferredChannel": "MOBILE",
        "preferredLanguage": "pl",
        "countryCode": "PL",
        "updatedAt": None,
    }
    # The local part keeps its case (it may matter to the mail server); the domain is folded.
    local = email.split("@")[0].upper()
    assert [(c["kind"], c["value"], c["isPrimary"]) for c in contacts] == [
        ("EMAIL", f"{local}@example.com", True),
        ("PHONE", "+48501234567", True),
        ("POSTAL", "ul. Długa 5, 31-147 Kraków", True),
    ]

    stored = await customer_row(api.engine, created["id"])
    assert stored.display_name == "Łucja Pérez-Núñez"
    assert stored.search_name == "lucja perez-nunez"
    assert stored.national_id_hash == national_id_hash(
        "88022912345", secret_key=os.environ["C360_SECRET_KEY"]
    )
    assert stored.national_id_last4 == "2345"
    assert stored.version == 1
    rows = await contact_rows(api.engine, created["id"])
    assert [(r.kind, r.value, r.search_key, r.verified_at) for r in rows] == [
        ("email", f"{local}@example.com", f"{local.lower()}@example.com", None),
        ("phone", "+48501234567", "76543210584", None),
        ("postal", "ul. Długa 5, 31-147 Kraków", "krakow", None),
    ]
    assert [r.country_code for r in rows] == [None, None, "PL"]  # the customer's country

    # Search finds the new customer by name, email, phone and national id.
    gid = created["id"]
    assert (gid, "NAME") in await search(api, "lucja perez")
    assert (gid, "EMAIL") in await search(api, email)
    assert (gid, "PHONE") in await search(api, "501-234-567")
    assert (gid, "NATIONAL_ID") in await search(api, "88022912345")


async def test_create_an_organisation_with_defaults(api: Api) -> None:
    result = await call(
        api,
        CREATE,
        partyType="ORGANISATION",
        segment="SMALL_BUSINESS",
        organisationName="Kowalski i Syn Sp. z o.o.",
    )
    created = result["customer"]
    assert created["displayName"] == "Kowalski i Syn Sp. z o.o."
    assert (created["givenName"], created["familyName"]) == (None, None)
    assert created["status"] == "PROSPECT"
    assert created["customerSince"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert created["interests"] == []
    assert created["contactPoints"] == []
    stored = await customer_row(api.engine, created["id"])
    assert (stored.party_type, stored.search_name) == ("organisation", "kowalski i syn sp. z o.o.")


TOO_LONG_NAME = "x" * 101
CREATE_REFUSALS = [
    ({"givenName": "   "}, "REQUIRED", ["input", "givenName"]),
    ({"familyName": None}, "REQUIRED", ["input", "familyName"]),
    ({"givenName": TOO_LONG_NAME}, "TOO_LONG", ["input", "givenName"]),
    ({"occupation": "o" * 121}, "TOO_LONG", ["input", "occupation"]),
    ({"homeBranch": "B" * 17}, "TOO_LONG", ["input", "homeBranch"]),
    ({"occupation": "line\nbreak"}, "INVALID_VALUE", ["input", "occupation"]),
    ({"birthDate": "2999-01-01"}, "INVALID_DATE", ["input", "birthDate"]),
    ({"birthDate": "1850-06-01"}, "INVALID_DATE", ["input", "birthDate"]),
    ({"customerSince": "2999-01-01"}, "INVALID_DATE", ["input", "customerSince"]),
    ({"countryCode": "XX"}, "INVALID_COUNTRY", ["input", "countryCode"]),
    ({"countryCode": "POL"}, "INVALID_COUNTRY", ["input", "countryCode"]),
    ({"nationalId": "12-3"}, "INVALID_NATIONAL_ID", ["input", "nationalId"]),
    ({"nationalId": "ABCDEFGH"}, "INVALID_NATIONAL_ID", ["input", "nationalId"]),
    ({"organisationName": "Acme"}, "INVALID_VALUE", ["input", "organisationName"]),
    ({"householdSize": 0}, "INVALID_VALUE", ["input", "householdSize"]),
    ({"preferredLanguage": "Polish!"}, "INVALID_VALUE", ["input", "preferredLanguage"]),
    ({"interests": [f"tag{n}" for n in range(21)]}, "TOO_LONG", ["input", "interests"]),
    ({"interests": ["ok", " "]}, "REQUIRED", ["input", "interests", "1"]),
    (
        {"contactPoints": [{"kind": "PHONE", "value": "+48500999001"}] * 11},
        "TOO_LONG",
        ["input", "contactPoints"],
    ),
    (
        {"contactPoints": [{"kind": "PHONE", "value": "+48500999002"}, {"kind": "EMAIL"}]},
        "REQUIRED",
        ["input", "contactPoints", "1", "value"],
    ),
    (
        {"contactPoints": [{"kind": "EMAIL", "value": "anna@"}]},
        "INVALID_EMAIL",
        ["input", "contactPoints", "0", "value"],
    ),
    (
        {"contactPoints": [{"kind": "PHONE", "value": "12 34"}]},
        "INVALID_PHONE",
        ["input", "contactPoints", "0", "value"],
    ),
    (
        {
            "contactPoints": [
                {"kind": "EMAIL", "value": "dup@example.com"},
                {"kind": "EMAIL", "value": "DUP@example.com"},
            ]
        },
        "DUPLICATE_CONTACT_POINT",
        ["input", "contactPoints", "1", "value"],
    ),
    (
        {"contactPoints": [{"kind": "POSTAL", "addressLine1": "ul. Krótka 1", "city": "Łódź"}]},
        "REQUIRED",
        ["input", "contactPoints", "0", "postalCode"],
    ),
    (
        {"contactPoints": [{"kind": "EMAIL", "value": "a@example.com", "city": "Łódź"}]},
        "INVALID_VALUE",
        ["input", "contactPoints", "0", "city"],
    ),
]


@pytest.mark.parametrize(("overrides", "code", "field"), CREATE_REFUSALS)
async def test_create_refusals_are_typed_and_write_nothing(
    api: Api, overrides: dict[str, Any], code: str, field: list[str]
) -> None:
    before = await row_counts(api.engine)
    result = await call(api, CREATE, **person(**overrides))
    assert result["__typename"] == "CustomerError", result
    assert (result["code"], result["field"]) == (code, field), result["message"]
    assert result["message"]
    assert await row_counts(api.engine) == before


async def test_an_organisation_needs_its_name(api: Api) -> None:
    result = await call(api, CREATE, partyType="ORGANISATION", segment="CORPORATE")
    assert (result["code"], result["field"]) == ("REQUIRED", ["input", "organisationName"])


async def test_an_unknown_enum_value_fails_validation_and_writes_nothing(api: Api) -> None:
    before = await row_counts(api.engine)
    codes = await api.error_codes(CREATE, {"input": person(segment="GOLD")})
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert await row_counts(api.engine) == before


async def test_a_failure_inside_the_transaction_leaves_nothing_behind(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    # The history is written last: a customer and contacts already inserted must go too.
    monkeypatch.setattr(service, "record_changes", broken)
    before = await row_counts(api.engine)
    body = await api.result(
        CREATE, {"input": person(contactPoints=[{"kind": "PHONE", "value": unique_phone()}])}
    )
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert await row_counts(api.engine) == before


async def test_a_failed_update_or_contact_write_leaves_nothing_behind(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await new_person(api, contactPoints=[{"kind": "EMAIL", "value": unique_email()}])
    before = (
        await customer_row(api.engine, created["id"]),
        await contact_rows(api.engine, created["id"]),
        await row_counts(api.engine),
    )

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(service, "record_changes", broken)
    monkeypatch.setattr(contacts, "record_changes", broken)
    writes = [
        (UPDATE, {"id": created["id"], "version": 1, "familyName": "Lost"}),
        (ADD_CONTACT, {"customerId": created["id"], "kind": "PHONE", "value": unique_phone()}),
        (
            ADD_CONTACT,
            {
                "customerId": created["id"],
                "kind": "EMAIL",
                "value": unique_email(),
                "isPrimary": True,
            },
        ),
        (UPDATE_CONTACT, {"id": created["contactPoints"][0]["id"], "value": unique_email()}),
        (REMOVE_CONTACT, {"id": created["contactPoints"][0]["id"]}),
    ]
    for mutation, input in writes:
        body = await api.result(mutation, {"input": input})
        assert body["errors"][0]["extensions"]["code"] == "INTERNAL", body
    after = (
        await customer_row(api.engine, created["id"]),
        await contact_rows(api.engine, created["id"]),
        await row_counts(api.engine),
    )
    assert after == before


# updateCustomer ----------------------------------------------------------------------


async def test_update_changes_the_fields_given_and_keeps_derived_columns(api: Api) -> None:
    created = await new_person(api, givenName="Jan", familyName="Kowalski", occupation="baker")
    result = await call(
        api,
        UPDATE,
        id=created["id"],
        version=1,
        familyName="Wiśniewski",
        segment="AFFLUENT",
        occupation=None,  # explicit null clears
    )
    updated = result["customer"]
    assert updated["version"] == 2
    assert updated["displayName"] == "Jan Wiśniewski"
    assert (updated["segment"], updated["occupation"]) == ("AFFLUENT", None)
    assert updated["givenName"] == "Jan"  # left out: kept
    updated_at, created_at = map(
        dt.datetime.fromisoformat, (updated["updatedAt"], created["updatedAt"])
    )
    assert updated_at > created_at
    stored = await customer_row(api.engine, created["id"])
    assert (stored.family_name, stored.search_name, stored.occupation, stored.version) == (
        "Wiśniewski",
        "jan wisniewski",
        None,
        2,
    )
    assert (created["id"], "NAME") in await search(api, "wisniewski jan")
    assert created["id"] not in {gid for gid, _ in await search(api, "jan kowalski")}


async def test_a_stale_version_is_a_conflict_and_writes_nothing(api: Api) -> None:
    created = await new_person(api)
    first = await call(api, UPDATE, id=created["id"], version=1, occupation="teacher")
    assert first["customer"]["version"] == 2
    before_history = await history_rows(api.engine, created["id"])

    second = await call(api, UPDATE, id=created["id"], version=1, occupation="pilot")
    assert second["__typename"] == "CustomerError"
    assert (second["code"], second["field"]) == ("VERSION_CONFLICT", ["input", "version"])
    assert "version 2" in second["message"]
    stored = await customer_row(api.engine, created["id"])
    assert (stored.occupation, stored.version) == ("teacher", 2)
    assert await history_rows(api.engine, created["id"]) == before_history


async def test_two_concurrent_writers_with_one_version_one_wins(api: Api) -> None:
    created = await new_person(api)
    results = await asyncio.gather(
        call(api, UPDATE, id=created["id"], version=1, occupation="writer A"),
        call(api, UPDATE, id=created["id"], version=1, occupation="writer B"),
    )
    kinds = sorted(result["__typename"] for result in results)
    assert kinds == ["CustomerError", "CustomerSuccess"]
    (winner,) = [r["customer"] for r in results if r["__typename"] == "CustomerSuccess"]
    (loser,) = [r for r in results if r["__typename"] == "CustomerError"]
    assert loser["code"] == "VERSION_CONFLICT"
    stored = await customer_row(api.engine, created["id"])
    assert (stored.occupation, stored.version) == (winner["occupation"], 2)
    occupations = [
        r.new_value
        for r in await history_rows(api.engine, created["id"])
        if r.field == "occupation"
    ]
    assert occupations == [winner["occupation"]]


async def test_an_update_that_changes_nothing_keeps_the_version(api: Api) -> None:
    created = await new_person(api, occupation="baker")
    before = await history_rows(api.engine, created["id"])
    result = await call(api, UPDATE, id=created["id"], version=1, occupation=" baker ")
    assert result["customer"]["version"] == 1
    assert await history_rows(api.engine, created["id"]) == before


async def test_a_national_id_is_replaced_and_found_by_search(api: Api) -> None:
    created = await new_person(api, nationalId="ABC123456")
    result = await call(api, UPDATE, id=created["id"], version=1, nationalId="XYZ 987 654")
    assert result["customer"]["nationalIdLast4"] == "7654"
    assert (created["id"], "NATIONAL_ID") in await search(api, "XYZ987654")
    assert created["id"] not in {gid for gid, _ in await search(api, "ABC123456")}
    cleared = await call(api, UPDATE, id=created["id"], version=2, nationalId=None)
    assert cleared["customer"]["nationalIdLast4"] is None
    stored = await customer_row(api.engine, created["id"])
    assert (stored.national_id_hash, stored.national_id_last4) == (None, None)


UPDATE_REFUSALS = [
    ({"segment": None}, "REQUIRED", ["input", "segment"]),
    ({"givenName": None}, "REQUIRED", ["input", "givenName"]),
    ({"familyName": ""}, "REQUIRED", ["input", "familyName"]),
    ({"status": None}, "REQUIRED", ["input", "status"]),
    ({"customerSince": None}, "REQUIRED", ["input", "customerSince"]),
    ({"organisationName": "Acme"}, "INVALID_VALUE", ["input", "organisationName"]),
    ({"birthDate": "2999-01-01"}, "INVALID_DATE", ["input", "birthDate"]),
    ({"countryCode": "ZZ"}, "INVALID_COUNTRY", ["input", "countryCode"]),
    ({"familyName": TOO_LONG_NAME}, "TOO_LONG", ["input", "familyName"]),
    ({"nationalId": "1"}, "INVALID_NATIONAL_ID", ["input", "nationalId"]),
]


@pytest.mark.parametrize(("changes", "code", "field"), UPDATE_REFUSALS)
async def test_update_refusals_are_typed_and_write_nothing(
    api: Api, changes: dict[str, Any], code: str, field: list[str]
) -> None:
    created = await new_person(api)
    before = (await customer_row(api.engine, created["id"]), await row_counts(api.engine))
    result = await call(api, UPDATE, id=created["id"], version=1, **changes)
    assert (result["code"], result["field"]) == (code, field), result
    after = (await customer_row(api.engine, created["id"]), await row_counts(api.engine))
    assert after == before


async def test_unknown_and_malformed_customer_ids(api: Api) -> None:
    created = await new_person(api, contactPoints=[{"kind": "EMAIL", "value": unique_email()}])
    unknown = await call(api, UPDATE, id=encode_id("Customer", 10**9), version=1, occupation="x")
    assert (unknown["code"], unknown["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "id"])
    malformed = await call(api, UPDATE, id="not-an-id", version=1, occupation="x")
    assert (malformed["code"], malformed["field"]) == ("INVALID_ID", ["input", "id"])
    other_type = created["contactPoints"][0]["id"]
    wrong = await call(api, UPDATE, id=other_type, version=1, occupation="x")
    assert (wrong["code"], wrong["field"]) == ("INVALID_ID", ["input", "id"])


async def test_a_customer_the_caller_may_not_see_is_answered_as_missing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await new_person(api)

    async def nobody(self: Context, customer_id: int) -> bool:
        return False

    monkeypatch.setattr(Context, "customer_visible", nobody)
    result = await call(api, UPDATE, id=created["id"], version=1, occupation="spy")
    assert (result["code"], result["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "id"])
    assert result["message"] == "no such customer"
    assert (await customer_row(api.engine, created["id"])).version == 1


async def test_an_update_runs_three_statements(api: Api, database_backend: str) -> None:
    created = await new_person(api)
    mutation = """
    mutation($input: UpdateCustomerInput!) {
      updateCustomer(input: $input) { ... on CustomerSuccess { customer { id version } } }
    }"""
    with count_statements(api.engine) as log:
        result = await call(
            api, mutation, id=created["id"], version=1, occupation="nurse", householdSize=2
        )
    assert result["customer"]["version"] == 2
    work = [s for s in log.statements if s.split()[0].upper() not in {"BEGIN", "COMMIT"}]
    # Lock and read the row, update it (RETURNING the new row), insert the history rows;
    # on PostgreSQL, publish the live-update event (SQLite hands it over in memory).
    expected = ["SELECT", "UPDATE", "INSERT"]
    if database_backend == "postgresql":
        expected.append("SELECT")
        assert "pg_notify" in work[-1], log.statements
    assert [s.split()[0].upper() for s in work] == expected, log.statements
