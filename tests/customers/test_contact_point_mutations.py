"""addContactPoint, updateContactPoint, removeContactPoint: stored rows, search, refusals."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from customer_support import (
    ADD_CONTACT,
    REMOVE_CONTACT,
    UPDATE_CONTACT,
    call,
    contact_rows,
    new_person,
    pk,
    row_counts,
    unique_email,
    unique_phone,
)
from gqltest import Api, new_database, serve
from sqlalchemy import update

from c360.customers.repository import contact_point
from c360.graphql.context import Context
from c360.graphql.ids import encode_id

SEARCH = """
query($query: String!) {
  searchCustomers(query: $query) { edges { matchedOn node { id } } }
}"""


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    async with serve(await new_database(database_factory)) as api:
        yield api


async def found_by(api: Api, query: str) -> dict[str, str]:
    """Customer id -> what the search matched it on."""
    data = await api.data(SEARCH, {"query": query})
    return {e["node"]["id"]: e["matchedOn"] for e in data["searchCustomers"]["edges"]}


async def add(api: Api, customer: dict[str, Any], **input: Any) -> dict[str, Any]:
    return await call(api, ADD_CONTACT, customerId=customer["id"], **input)


# addContactPoint ---------------------------------------------------------------------


async def test_a_phone_in_national_format_is_stored_as_e164_and_found(api: Api) -> None:
    customer = await new_person(api)
    result = await add(api, customer, kind="PHONE", value="502 111 222", label="mobile")
    assert result["__typename"] == "ContactPointSuccess", result
    added = result["contactPoint"]
    assert (added["kind"], added["value"], added["label"]) == ("PHONE", "+48502111222", "mobile")
    assert added["isPrimary"] is True  # the customer's first phone
    assert added["verifiedAt"] is None
    assert result["customer"] == {"id": customer["id"], "version": 1}

    (row,) = await contact_rows(api.engine, customer["id"])
    assert (row.id, row.value, row.search_key) == (
        pk("ContactPoint", added["id"]),
        "+48502111222",
        "22211120584",
    )
    for typed in ("+48 502 111 222", "0048502111222", "502-111-222", "111222"):
        assert (await found_by(api, typed)).get(customer["id"]) == "PHONE", typed


async def test_a_phone_is_read_in_the_contact_or_the_customer_country(api: Api) -> None:
    briton = await new_person(api, givenName="Oliver", familyName="Smith", countryCode="GB")
    refused = await add(api, briton, kind="PHONE", value="503 444 555")
    assert (refused["code"], refused["field"]) == ("INVALID_PHONE", ["input", "value"])
    assert "in GB" in refused["message"]
    added = await add(api, briton, kind="PHONE", value="503 444 555", countryCode="PL")
    assert added["contactPoint"]["value"] == "+48503444555"
    uk = await add(api, briton, kind="PHONE", value="020 7946 0018")
    assert uk["contactPoint"]["value"] == "+442079460018"


async def test_an_email_is_validated_normalised_and_found(api: Api) -> None:
    customer = await new_person(api)
    address = unique_email("Jan.Kowalski")
    result = await add(
        api, customer, kind="EMAIL", value=f"  {address.replace('example', 'EXAMPLE')} "
    )
    assert result["contactPoint"]["value"] == address
    (row,) = await contact_rows(api.engine, customer["id"])
    assert row.search_key == address.lower()
    assert (await found_by(api, address.upper())).get(customer["id"]) == "EMAIL"


async def test_a_postal_address_is_made_from_its_parts(api: Api) -> None:
    customer = await new_person(api, countryCode="ES")
    result = await add(
        api,
        customer,
        kind="POSTAL",
        label="home",
        addressLine1="Calle Mayor 7",
        addressLine2="3º B",
        postalCode="28013",
        city="Madrid",
        region="Madrid",
    )
    added = result["contactPoint"]
    assert added["value"] == "3º B, Calle Mayor 7, 28013 Madrid"
    assert (added["countryCode"], added["city"], added["isPrimary"]) == ("ES", "Madrid", True)
    (row,) = await contact_rows(api.engine, customer["id"])
    assert row.search_key == "madrid"


async def test_a_new_primary_takes_over_from_the_old_one(api: Api) -> None:
    customer = await new_person(api)
    first = await add(api, customer, kind="EMAIL", value=unique_email())
    second = await add(api, customer, kind="EMAIL", value=unique_email())
    assert (first["contactPoint"]["isPrimary"], second["contactPoint"]["isPrimary"]) == (
        True,
        False,
    )
    third = await add(api, customer, kind="EMAIL", value=unique_email(), isPrimary=True)
    assert third["contactPoint"]["isPrimary"] is True
    rows = await contact_rows(api.engine, customer["id"])
    assert [row.is_primary for row in rows] == [False, False, True]


async def test_a_duplicate_contact_is_refused(api: Api) -> None:
    customer = await new_person(api)
    phone, email = unique_phone(), unique_email()
    await add(api, customer, kind="PHONE", value=phone)
    await add(api, customer, kind="EMAIL", value=email)
    before = await row_counts(api.engine)
    # The same number and address, typed another way.
    for kind, value in (("PHONE", "00" + phone[1:]), ("EMAIL", email.upper())):
        result = await add(api, customer, kind=kind, value=value)
        assert (result["code"], result["field"]) == ("DUPLICATE_CONTACT_POINT", ["input", "value"])
    assert await row_counts(api.engine) == before
    # Another customer may share it (a family's landline, a shared mailbox).
    other = await new_person(api)
    assert (await add(api, other, kind="PHONE", value=phone))["__typename"] == (
        "ContactPointSuccess"
    )


ADD_REFUSALS = [
    ({"kind": "EMAIL", "value": "no-at-sign.example.com"}, "INVALID_EMAIL", ["input", "value"]),
    ({"kind": "EMAIL", "value": "a@b"}, "INVALID_EMAIL", ["input", "value"]),
    ({"kind": "EMAIL", "value": "x" * 321}, "TOO_LONG", ["input", "value"]),
    ({"kind": "EMAIL", "value": "  "}, "REQUIRED", ["input", "value"]),
    ({"kind": "PHONE", "value": "+48 123"}, "INVALID_PHONE", ["input", "value"]),
    ({"kind": "PHONE", "value": "call me"}, "INVALID_PHONE", ["input", "value"]),
    ({"kind": "PHONE", "value": "+48500000111", "label": "l" * 33}, "TOO_LONG", ["input", "label"]),
    (
        {"kind": "PHONE", "value": "500000111", "countryCode": "QQ"},
        "INVALID_COUNTRY",
        ["input", "countryCode"],
    ),
    (
        {"kind": "POSTAL", "addressLine1": "ul. Polna 3", "postalCode": "00-950"},
        "REQUIRED",
        ["input", "city"],
    ),
    (
        {"kind": "POSTAL", "value": "ul. Polna 3, Warszawa"},
        "INVALID_VALUE",
        ["input", "value"],
    ),
    (
        {"kind": "POSTAL", "addressLine1": "a" * 201, "postalCode": "1", "city": "Ur"},
        "TOO_LONG",
        ["input", "addressLine1"],
    ),
]


@pytest.mark.parametrize(("input", "code", "field"), ADD_REFUSALS)
async def test_add_refusals_are_typed_and_write_nothing(
    api: Api, input: dict[str, Any], code: str, field: list[str]
) -> None:
    customer = await new_person(api)
    before = await row_counts(api.engine)
    result = await add(api, customer, **input)
    assert result["__typename"] == "CustomerError"
    assert (result["code"], result["field"]) == (code, field), result["message"]
    assert await row_counts(api.engine) == before


async def test_add_to_an_unknown_or_malformed_customer(api: Api) -> None:
    input = {"kind": "EMAIL", "value": unique_email()}
    unknown = await call(api, ADD_CONTACT, customerId=encode_id("Customer", 10**9), **input)
    assert (unknown["code"], unknown["field"]) == ("CUSTOMER_NOT_FOUND", ["input", "customerId"])
    malformed = await call(api, ADD_CONTACT, customerId="Zm9v", **input)
    assert (malformed["code"], malformed["field"]) == ("INVALID_ID", ["input", "customerId"])


# updateContactPoint ------------------------------------------------------------------


async def test_a_changed_number_is_stored_found_and_no_longer_verified(api: Api) -> None:
    customer = await new_person(api)
    old_phone, new_phone = unique_phone(), unique_phone()
    added = (await add(api, customer, kind="PHONE", value=old_phone, label="mobile"))[
        "contactPoint"
    ]
    async with api.engine.begin() as conn:  # a teller verified it once
        await conn.execute(
            update(contact_point)
            .where(contact_point.c.id == pk("ContactPoint", added["id"]))
            .values(verified_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
        )
    relabelled = await call(api, UPDATE_CONTACT, id=added["id"], label="work")
    assert relabelled["contactPoint"]["label"] == "work"
    assert relabelled["contactPoint"]["verifiedAt"] is not None  # the number did not change

    result = await call(api, UPDATE_CONTACT, id=added["id"], value=new_phone.replace("+48", ""))
    changed = result["contactPoint"]
    assert (changed["id"], changed["value"], changed["verifiedAt"]) == (
        added["id"],
        new_phone,
        None,
    )
    (row,) = await contact_rows(api.engine, customer["id"])
    assert (row.value, row.search_key, row.label) == (new_phone, new_phone[1:][::-1], "work")
    assert customer["id"] in await found_by(api, new_phone)
    assert customer["id"] not in await found_by(api, old_phone)


async def test_a_changed_city_moves_the_address_and_its_search_key(api: Api) -> None:
    customer = await new_person(api)
    added = await add(
        api,
        customer,
        kind="POSTAL",
        addressLine1="ul. Lipowa 2",
        postalCode="80-001",
        city="Gdańsk",
    )
    result = await call(
        api, UPDATE_CONTACT, id=added["contactPoint"]["id"], city="Gdynia", postalCode="81-001"
    )
    assert result["contactPoint"]["value"] == "ul. Lipowa 2, 81-001 Gdynia"
    (row,) = await contact_rows(api.engine, customer["id"])
    assert (row.city, row.search_key) == ("Gdynia", "gdynia")


async def test_update_refusals_write_nothing(api: Api) -> None:
    customer = await new_person(api)
    taken = unique_email()
    await add(api, customer, kind="EMAIL", value=taken)
    mine = (await add(api, customer, kind="EMAIL", value=unique_email()))["contactPoint"]
    before = await contact_rows(api.engine, customer["id"])
    cases = [
        ({"value": taken.upper()}, "DUPLICATE_CONTACT_POINT", ["input", "value"]),
        ({"value": None}, "REQUIRED", ["input", "value"]),
        ({"value": "not an email"}, "INVALID_EMAIL", ["input", "value"]),
        ({"city": "Poznań"}, "INVALID_VALUE", ["input", "city"]),
        ({"label": "x" * 40}, "TOO_LONG", ["input", "label"]),
    ]
    for changes, code, field in cases:
        result = await call(api, UPDATE_CONTACT, id=mine["id"], **changes)
        assert (result["code"], result["field"]) == (code, field), (changes, result)
    assert await contact_rows(api.engine, customer["id"]) == before


async def test_unknown_and_malformed_contact_point_ids(api: Api) -> None:
    customer = await new_person(api)
    missing = encode_id("ContactPoint", 10**9)
    for mutation in (UPDATE_CONTACT, REMOVE_CONTACT):
        unknown = await call(api, mutation, id=missing)
        assert (unknown["code"], unknown["field"]) == ("CONTACT_POINT_NOT_FOUND", ["input", "id"])
        for bad in ("???", customer["id"]):  # not an id; the id of a customer
            malformed = await call(api, mutation, id=bad)
            assert (malformed["code"], malformed["field"]) == ("INVALID_ID", ["input", "id"])


async def test_a_contact_of_a_customer_the_caller_may_not_see_is_missing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = await new_person(api)
    added = (await add(api, customer, kind="EMAIL", value=unique_email()))["contactPoint"]
    seen: list[int] = []

    async def nobody(self: Context, customer_id: int) -> bool:
        seen.append(customer_id)
        return False

    monkeypatch.setattr(Context, "customer_visible", nobody)
    for mutation, extra in ((UPDATE_CONTACT, {"label": "x"}), (REMOVE_CONTACT, {})):
        result = await call(api, mutation, id=added["id"], **extra)
        assert (result["code"], result["field"]) == ("CONTACT_POINT_NOT_FOUND", ["input", "id"])
    added_too = await add(api, customer, kind="EMAIL", value=unique_email())
    assert (added_too["code"], added_too["field"]) == (
        "CUSTOMER_NOT_FOUND",
        ["input", "customerId"],
    )
    assert set(seen) == {pk("Customer", customer["id"])}
    (row,) = await contact_rows(api.engine, customer["id"])
    assert row.label is None


# removeContactPoint ------------------------------------------------------------------


async def test_remove_deletes_the_row_and_search_no_longer_finds_it(api: Api) -> None:
    customer = await new_person(api)
    phone = unique_phone()
    added = (await add(api, customer, kind="PHONE", value=phone))["contactPoint"]
    assert customer["id"] in await found_by(api, phone)
    result = await call(api, REMOVE_CONTACT, id=added["id"])
    assert result == {
        "__typename": "RemoveContactPointSuccess",
        "removedContactPointId": added["id"],
        "customer": {"id": customer["id"]},
    }
    assert await contact_rows(api.engine, customer["id"]) == []
    assert customer["id"] not in await found_by(api, phone)
    again = await call(api, REMOVE_CONTACT, id=added["id"])
    assert again["code"] == "CONTACT_POINT_NOT_FOUND"


async def test_concurrent_adds_of_one_number_store_it_once(api: Api) -> None:
    customer = await new_person(api)
    phone = unique_phone()
    results = await asyncio.gather(
        *(add(api, customer, kind="PHONE", value=phone) for _ in range(5))
    )
    assert (
        sorted(r["__typename"] for r in results) == ["ContactPointSuccess"] + ["CustomerError"] * 4
    )
    assert {r["code"] for r in results if r["__typename"] == "CustomerError"} == {
        "DUPLICATE_CONTACT_POINT"
    }
    assert [row.value for row in await contact_rows(api.engine, customer["id"])] == [phone]


async def test_the_answer_shows_the_customer_with_the_new_contact(api: Api) -> None:
    customer = await new_person(api, contactPoints=[{"kind": "EMAIL", "value": unique_email()}])
    phone = unique_phone()
    mutation = """
    mutation($input: AddContactPointInput!) {
      addContactPoint(input: $input) {
        ... on ContactPointSuccess { customer { contactPoints { kind value } } }
      }
    }"""
    result = await call(api, mutation, customerId=customer["id"], kind="PHONE", value=phone)
    assert result["customer"]["contactPoints"] == [
        {"kind": "EMAIL", "value": customer["contactPoints"][0]["value"]},
        {"kind": "PHONE", "value": phone},
    ]
