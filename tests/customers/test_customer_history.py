"""The change history: one row per changed field, written with the change; Customer.history."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from customer_support import (
    ADD_CONTACT,
    REMOVE_CONTACT,
    UPDATE,
    UPDATE_CONTACT,
    call,
    customer_row,
    history_rows,
    new_person,
    unique_email,
)
from gqltest import Api, count_statements, new_database, serve

from c360.auth.principal import Principal
from c360.auth.scopes import Role, default_scopes
from c360.graphql.context import Context
from c360.graphql.pagination import encode_position_cursor
from c360.graphql.schema import schema

HISTORY = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    history(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { field oldValue newValue actor via changedAt } }
    }
  }
}"""


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    async with serve(await new_database(database_factory)) as api:
        yield api


def changes(rows: list[Any]) -> set[tuple[str, str | None, str | None]]:
    return {(row.field, row.old_value, row.new_value) for row in rows}


async def test_a_new_customer_has_a_row_per_field_it_was_created_with(api: Api) -> None:
    clear_id = "90010112345"
    created = await new_person(
        api,
        birthDate="1990-01-01",
        nationalId=clear_id,
        interests=["golf"],
        contactPoints=[{"kind": "PHONE", "value": "+48509000001", "label": "mobile"}],
    )
    rows = await history_rows(api.engine, created["id"])
    contact_id = created["contactPoints"][0]["id"]
    assert {(row.actor, row.via) for row in rows} == {("test:admin", "createCustomer")}
    assert len({row.changed_at for row in rows}) == 1
    assert {
        (row.contact_point_id is not None, row.field, row.old_value, row.new_value) for row in rows
    } == {
        (False, "partyType", None, "PERSON"),
        (False, "givenName", None, "Anna"),
        (False, "familyName", None, "Nowak"),
        (False, "birthDate", None, "1990-01-01"),
        (False, "status", None, "PROSPECT"),
        (False, "segment", None, "MASS"),
        (False, "customerSince", None, created["customerSince"]),
        (False, "interests", None, '["golf"]'),
        (False, "countryCode", None, "PL"),
        (False, "nationalId", None, "***2345"),
        (True, "kind", None, "PHONE"),
        (True, "value", None, "+48509000001"),
        (True, "label", None, "mobile"),
        (True, "isPrimary", None, "true"),
    }
    data = await api.data(HISTORY, {"id": created["id"], "first": 100})
    fields = {edge["node"]["field"] for edge in data["customer"]["history"]["edges"]}
    assert f"contactPoints[{contact_id}].value" in fields


async def test_the_national_id_is_never_in_the_history_in_clear_or_hashed(api: Api) -> None:
    created = await new_person(api, nationalId="AB1234567")
    await call(api, UPDATE, id=created["id"], version=1, nationalId="CD7654321")
    hashed = (await customer_row(api.engine, created["id"])).national_id_hash
    await call(api, UPDATE, id=created["id"], version=2, nationalId=None)
    rows = await history_rows(api.engine, created["id"])
    national = [(r.old_value, r.new_value) for r in rows if r.field == "nationalId"]
    assert national == [(None, "***4567"), ("***4567", "***4321"), ("***4321", None)]
    text = " ".join(value for row in rows for value in (row.old_value, row.new_value) if value)
    for secret in ("AB1234567", "1234567", "CD7654321", "7654321", hashed):
        assert secret not in text


async def test_an_update_records_each_changed_field_once(api: Api) -> None:
    created = await new_person(api, occupation="baker", householdSize=2)
    await call(
        api,
        UPDATE,
        id=created["id"],
        version=1,
        familyName="Zielińska",
        occupation=None,
        householdSize=2,  # unchanged: no row
        segment="PRIVATE",
    )
    rows = [r for r in await history_rows(api.engine, created["id"]) if r.via == "updateCustomer"]
    assert changes(rows) == {
        ("familyName", "Nowak", "Zielińska"),
        ("occupation", "baker", None),
        ("segment", "MASS", "PRIVATE"),
    }
    assert len(rows) == 3
    assert {row.actor for row in rows} == {"test:admin"}


async def test_contact_point_changes_are_recorded_under_their_id(api: Api) -> None:
    created = await new_person(api)
    first = (
        await call(api, ADD_CONTACT, customerId=created["id"], kind="EMAIL", value=unique_email())
    )["contactPoint"]
    address = unique_email()
    second = (
        await call(
            api, ADD_CONTACT, customerId=created["id"], kind="EMAIL", value=address, isPrimary=True
        )
    )["contactPoint"]
    new_address = unique_email()
    await call(api, UPDATE_CONTACT, id=second["id"], value=new_address)
    await call(api, REMOVE_CONTACT, id=first["id"])

    data = await api.data(HISTORY, {"id": created["id"], "first": 100})
    seen = [
        (e["node"]["via"], e["node"]["field"], e["node"]["oldValue"], e["node"]["newValue"])
        for e in data["customer"]["history"]["edges"]
        if e["node"]["via"] != "createCustomer"
    ]
    one, two = f"contactPoints[{first['id']}]", f"contactPoints[{second['id']}]"
    # Newest first; within one change, the later-written row first.
    assert seen == [
        ("removeContactPoint", f"{one}.isPrimary", "false", None),
        ("removeContactPoint", f"{one}.value", first["value"], None),
        ("removeContactPoint", f"{one}.kind", "EMAIL", None),
        ("updateContactPoint", f"{two}.value", address, new_address),
        ("addContactPoint", f"{one}.isPrimary", "true", "false"),
        ("addContactPoint", f"{two}.isPrimary", None, "true"),
        ("addContactPoint", f"{two}.value", None, address),
        ("addContactPoint", f"{two}.kind", None, "EMAIL"),
        ("addContactPoint", f"{one}.isPrimary", None, "true"),
        ("addContactPoint", f"{one}.value", None, first["value"]),
        ("addContactPoint", f"{one}.kind", None, "EMAIL"),
    ]


async def test_the_actor_is_the_principal_subject(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await new_person(api)
    for_request = Context.for_request.__func__  # type: ignore[attr-defined]

    def with_teller(cls: type[Context], **kwargs: Any) -> Context:
        context = for_request(cls, **kwargs)
        context.principal = Principal(
            subject="token:7", role=Role.TELLER, scopes=default_scopes(Role.TELLER)
        )
        return context

    monkeypatch.setattr(Context, "for_request", classmethod(with_teller))
    await call(api, UPDATE, id=created["id"], version=1, occupation="teller's note")
    (row,) = [r for r in await history_rows(api.engine, created["id"]) if r.field == "occupation"]
    assert (row.actor, row.via, row.new_value) == ("token:7", "updateCustomer", "teller's note")


async def test_history_pages_newest_first(api: Api) -> None:
    created = await new_person(api)
    for version, occupation in enumerate(("one", "two", "three"), start=1):
        result = await call(api, UPDATE, id=created["id"], version=version, occupation=occupation)
        assert result["customer"]["version"] == version + 1
    total = len(await history_rows(api.engine, created["id"]))

    page = (await api.data(HISTORY, {"id": created["id"], "first": 2}))["customer"]["history"]
    assert page["totalCount"] == total
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "endCursor": page["edges"][-1]["cursor"],
    }
    assert [(e["node"]["oldValue"], e["node"]["newValue"]) for e in page["edges"]] == [
        ("two", "three"),
        ("one", "two"),
    ]
    nodes: list[dict[str, Any]] = [e["node"] for e in page["edges"]]
    after = page["pageInfo"]["endCursor"]
    while after:
        next_page = (await api.data(HISTORY, {"id": created["id"], "first": 2, "after": after}))[
            "customer"
        ]["history"]
        assert next_page["pageInfo"]["hasPreviousPage"] is True
        nodes += [e["node"] for e in next_page["edges"]]
        after = next_page["pageInfo"]["endCursor"] if next_page["pageInfo"]["hasNextPage"] else None
    assert len(nodes) == total
    assert [n["changedAt"] for n in nodes] == sorted((n["changedAt"] for n in nodes), reverse=True)
    assert nodes[-1]["field"] == "partyType"  # the creation comes last
    assert (nodes[2]["field"], nodes[2]["newValue"]) == ("occupation", "one")


async def test_a_cursor_of_another_list_is_refused(api: Api) -> None:
    created = await new_person(api)
    foreign = encode_position_cursor("interactions", dt.datetime.now(dt.UTC), 1)
    codes = await api.error_codes(HISTORY, {"id": created["id"], "after": foreign})
    assert codes == {"INVALID_CURSOR"}


async def test_history_of_a_page_of_customers_is_two_statements(api: Api) -> None:
    for _ in range(3):
        await new_person(api)
    query = """
    query($first: Int!) {
      customers(first: $first) {
        edges { node { history(first: 3) { totalCount edges { node { field } } } } }
      }
    }"""
    counts = []
    for first in (2, 10):
        with count_statements(api.engine) as log:
            data = await api.data(query, {"first": first})
        assert len(data["customers"]["edges"]) == first
        counts.append(len([s for s in log.statements if "customer_change" in s]))
    assert counts == [2, 2]  # one for the pages, one for the counts, however many customers


def test_history_declares_the_pii_scope() -> None:
    sdl = schema.as_str()
    assert (
        "history(first: Int = 20, after: String = null): CustomerChangeConnection "
        '@requiresScope(scope: "customer:pii")'
    ) in sdl
    create = "createCustomer(input: CreateCustomerInput!): CustomerResult!"
    assert f'{create} @requiresScope(scope: "customer:write")' in sdl
