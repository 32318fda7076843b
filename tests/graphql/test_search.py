"""``searchCustomers``: by name, email, phone in any format, account digits and national id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from gqltest import Api, count_statements, new_database, serve

from c360.customers.models import PartyType
from c360.graphql.ids import encode_id
from c360.holdings.models import ProductCategory
from factories import Rows


@dataclass
class World:
    api: Api
    ids: dict[str, str]


@pytest.fixture(scope="module")
async def world(database_factory: Any) -> AsyncIterator[World]:
    rows = Rows()
    account = rows.product("current_account", ProductCategory.DEPOSIT)
    pk = {
        "lucja": rows.customer(given_name="Łucja", family_name="Pérez", national_id="85010112345"),
        "juan": rows.customer(
            given_name="Juan", family_name="Pérez", national_id="12345678Z", country_code="ES"
        ),
        "lucjan": rows.customer(given_name="Lucjan", family_name="Nowak"),
        "anna": rows.customer(given_name="Anna", family_name="Perezowa"),
        "perez": rows.customer(
            party_type=PartyType.ORGANISATION,
            given_name=None,
            family_name=None,
            display_name="Pérez",
            organisation_name="Pérez",
        ),
        "hermanos": rows.customer(
            party_type=PartyType.ORGANISATION,
            given_name=None,
            family_name=None,
            display_name="Pérez Hermanos S.L.",
            organisation_name="Pérez Hermanos S.L.",
        ),
        "other": rows.customer(given_name="Ola", family_name="Kot"),
        "omar": rows.customer(given_name="Omar", family_name="Haddad", country_code="AE"),
        "zofia": rows.customer(given_name="Zofia", family_name="Wrona"),
    }
    rows.email(pk["lucja"], "Lucja.Perez@Example.com")
    rows.email(pk["juan"], "juan@example.es")
    rows.phone(pk["lucja"], "+48601234567")
    rows.phone(pk["juan"], "+34612345678")
    rows.phone(pk["other"], "+48501999888")
    rows.phone(pk["omar"], "+971501234987")
    # Ends in ...334567: just past every number ending in 234567.
    rows.phone(pk["zofia"], "+48601334567")
    rows.holding(pk["lucja"], account, account_ref_masked="**** 4321", account_ref_last4="4321")
    rows.holding(pk["other"], account, account_ref_masked="**** 8765", account_ref_last4="8765")
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield World(api=api, ids={key: encode_id("Customer", value) for key, value in pk.items()})


SEARCH = """query($query: String!, $first: Int, $after: String) {
  searchCustomers(query: $query, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor matchedOn node { id displayName } }
  }
}"""


async def _search(world: World, query: str, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await world.api.data(SEARCH, {"query": query, **variables}))[
        "searchCustomers"
    ]
    return result


async def _found(world: World, query: str) -> list[str]:
    result = await _search(world, query)
    assert result["totalCount"] == len(result["edges"])
    return [edge["node"]["id"] for edge in result["edges"]]


@pytest.mark.parametrize("query", ["lucja", "ŁUCJA", "Łucja", "łucja pérez", "perez lucja", "ucja"])
async def test_name_ignores_case_and_accents_and_matches_any_part(world: World, query: str) -> None:
    found = await _found(world, query)
    assert world.ids["lucja"] in found
    assert world.ids["other"] not in found


@pytest.mark.parametrize("query", ["pérez", "perez", "PEREZ", "Pérez"])
async def test_name_ranks_exact_then_prefix_then_anywhere(world: World, query: str) -> None:
    found = await _found(world, query)
    ids = world.ids
    # Exact, then starts with, then contains (alphabetically within a rank).
    assert found == [ids["perez"], ids["hermanos"], ids["anna"], ids["juan"], ids["lucja"]]


async def test_name_matches_report_their_kind(world: World) -> None:
    result = await _search(world, "lucja")
    assert {edge["matchedOn"] for edge in result["edges"]} == {"NAME"}
    assert {edge["node"]["id"] for edge in result["edges"]} == {
        world.ids["lucja"],
        world.ids["lucjan"],
    }


@pytest.mark.parametrize(
    "query", ["lucja.perez@example.com", "LUCJA.PEREZ@EXAMPLE.COM", "  Lucja.Perez@Example.com "]
)
async def test_email_in_any_case(world: World, query: str) -> None:
    result = await _search(world, query)
    assert [(e["node"]["id"], e["matchedOn"]) for e in result["edges"]] == [
        (world.ids["lucja"], "EMAIL")
    ]


async def test_an_email_is_matched_whole(world: World) -> None:
    assert await _found(world, "lucja@example.com") == []


@pytest.mark.parametrize(
    "query",
    [
        "+48 601 234 567",
        "0048601234567",
        "601-234-567",
        "601 234 567",
        "48601234567",
        "(+48) 601.234.567",
        "234 567",
    ],
)
async def test_phone_in_any_format(world: World, query: str) -> None:
    result = await _search(world, query)
    assert [(e["node"]["id"], e["matchedOn"]) for e in result["edges"]] == [
        (world.ids["lucja"], "PHONE")
    ]


@pytest.mark.parametrize("query", ["+971501234987", "00971 50 123 4987", "501234987"])
async def test_phone_starting_with_a_nine(world: World, query: str) -> None:
    result = await _search(world, query)
    assert [(e["node"]["id"], e["matchedOn"]) for e in result["edges"]] == [
        (world.ids["omar"], "PHONE")
    ]


@pytest.mark.parametrize(("query", "key"), [("234 567", "lucja"), ("334567", "zofia")])
async def test_phone_digits_match_the_numbers_ending_in_them_only(
    world: World, query: str, key: str
) -> None:
    assert await _found(world, query) == [world.ids[key]]


async def test_account_last_four_digits(world: World) -> None:
    result = await _search(world, "4321")
    assert [(e["node"]["id"], e["matchedOn"]) for e in result["edges"]] == [
        (world.ids["lucja"], "ACCOUNT_REF")
    ]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("85010112345", "lucja"),
        ("850101 12345", "lucja"),
        ("12345678Z", "juan"),
        ("12345678-z", "juan"),
    ],
)
async def test_national_id(world: World, query: str, key: str) -> None:
    result = await _search(world, query)
    assert [(e["node"]["id"], e["matchedOn"]) for e in result["edges"]] == [
        (world.ids[key], "NATIONAL_ID")
    ]


@pytest.mark.parametrize(
    "query", ["85010112346", "nobody", "%%", "a_b", "'; drop table customer; --"]
)
async def test_no_match_is_an_empty_list(world: World, query: str) -> None:
    assert await _found(world, query) == []


@pytest.mark.parametrize("query", ["", "   ", "a", "ł", "99999", "12"])
async def test_a_query_too_short_to_search_is_an_invalid_argument(world: World, query: str) -> None:
    errors = await world.api.errors(SEARCH, {"query": query})
    assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"


PAGE_ONLY = """query($query: String!) {
  searchCustomers(query: $query, first: 10) { edges { matchedOn node { id displayName } } }
}"""


@pytest.mark.parametrize(
    ("one", "another"),
    [
        ("+48 601 234 567", "+971501234987"),
        ("lucja.perez@example.com", "juan@example.es"),
        ("4321", "8765"),
        ("12345678Z", "99999999R"),  # found, and not found
        ("85010112345", "48601334567"),  # a phone number or a national id
    ],
)
async def test_a_search_is_one_statement_of_the_same_text_whatever_is_searched(
    world: World, one: str, another: str
) -> None:
    # The query's values travel as parameters: PostgreSQL prepares and plans the
    # statement once per connection, not once per number searched.
    with count_statements(world.api.engine) as log:
        first = await world.api.data(PAGE_ONLY, {"query": one})
        second = await world.api.data(PAGE_ONLY, {"query": another})
    assert first["searchCustomers"]["edges"] and second is not None
    assert len(log.statements) == 2
    assert log.statements[0] == log.statements[1]


async def test_results_page_with_cursors(world: World) -> None:
    everyone = await _found(world, "perez")
    walked: list[str] = []
    after = None
    while True:
        page = await _search(world, "perez", first=2, after=after)
        assert page["totalCount"] == len(everyone)
        walked += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == everyone


async def test_a_cursor_from_another_search_is_refused(world: World) -> None:
    page = await _search(world, "perez", first=1)
    codes = await world.api.error_codes(
        SEARCH, {"query": "lucja", "after": page["pageInfo"]["endCursor"]}
    )
    assert codes == {"INVALID_CURSOR"}


async def test_search_first_is_capped(world: World) -> None:
    assert await world.api.error_codes(SEARCH, {"query": "perez", "first": 101}) == {
        "INVALID_ARGUMENT"
    }
