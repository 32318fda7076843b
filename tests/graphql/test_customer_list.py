"""The marketer's ``customers`` list: pagination, every filter, every order."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.consent.models import ConsentPurpose
from c360.customers.models import CustomerStatus, Segment
from c360.customers.normalize import fold_text
from c360.graphql.ids import encode_id
from c360.holdings.models import HoldingStatus, ProductCategory
from c360.interactions.models import TicketStatus
from factories import Rows

COUNT = 45
GIVEN = ["Łucja", "adam", "Zofia", "Ádám", "Piotr", "Ewa"]
FAMILY = ["Nowak", "Pérez", "Kowalski", "Wiśniewska"]
SEGMENTS = [Segment.MASS, Segment.AFFLUENT, Segment.PRIVATE, Segment.SMALL_BUSINESS]
BRANCHES = ["WAW", "KRK", "GDN"]


@dataclass
class World:
    api: Api
    now: dt.datetime
    # Per customer index: the columns the orders sort on, and the global id.
    customers: list[dict[str, Any]] = field(default_factory=list)

    def ids(self, indexes: Any) -> set[str]:
        return {self.customers[i]["gid"] for i in indexes}

    def where(self, **conditions: Any) -> set[str]:
        return {c["gid"] for c in self.customers if all(c[k] == v for k, v in conditions.items())}


def _build(rows: Rows) -> list[dict[str, Any]]:
    now = rows.now
    customers = []
    for i in range(COUNT):
        display_name = f"{GIVEN[i % 6]} {FAMILY[i % 4]}"
        values = {
            "display_name": display_name,
            "segment": SEGMENTS[i % 4],
            "home_branch": BRANCHES[i % 3],
            # Pairs of customers share a creation time, and many a customer-since date,
            # so that the keyset's id tie-break is exercised.
            "created_at": now - dt.timedelta(days=100 - i // 2),
            "customer_since_date": dt.date(2010 + i % 5, 1, 1),
            "status": CustomerStatus.DORMANT if i % 10 == 9 else CustomerStatus.ACTIVE,
        }
        pk = rows.customer(given_name=GIVEN[i % 6], family_name=FAMILY[i % 4], **values)
        customers.append(
            {
                **values,
                "pk": pk,
                "gid": encode_id("Customer", pk),
                "search_name": fold_text(display_name),
            }
        )

    day = dt.timedelta(days=1)
    mortgage = rows.product("mortgage", ProductCategory.LENDING)
    card = rows.product("credit_card", ProductCategory.CARD)
    current = rows.product("current_account", ProductCategory.DEPOSIT)
    program = rows.program()
    silver = rows.tier(program, "silver", 1)
    gold = rows.tier(program, "gold", 2)
    partner = rows.partner("travelco", "TravelCo")
    pk = [c["pk"] for c in customers]

    rows.postal(pk[3], "Kraków")
    rows.postal(pk[7], "KRAKOW")
    rows.postal(pk[8], "Warszawa")
    rows.holding(pk[5], mortgage)
    rows.holding(pk[6], mortgage, status=HoldingStatus.CLOSED)
    rows.holding(pk[8], mortgage, status=HoldingStatus.PENDING)
    rows.holding(pk[9], card, status=HoldingStatus.IN_ARREARS)
    rows.holding(pk[9], current)
    rows.loyalty_account(pk[10], program, gold)
    rows.loyalty_account(pk[11], program, silver)
    rows.ticket(pk[12], status=TicketStatus.OPEN)
    rows.ticket(pk[13], status=TicketStatus.PENDING)
    rows.ticket(pk[14], status=TicketStatus.RESOLVED)
    marketing = ConsentPurpose.MARKETING
    rows.consent(pk[15], marketing, granted=True, captured_at=now - 9 * day)
    rows.consent(pk[16], marketing, granted=True, captured_at=now - 9 * day)
    rows.consent(pk[16], marketing, granted=False, captured_at=now - day)
    rows.consent(pk[17], marketing, granted=False, captured_at=now - 9 * day)
    rows.consent(pk[17], marketing, granted=True, captured_at=now - day)
    # Two decisions at the same instant: the later row wins.
    rows.consent(pk[19], marketing, granted=True, captured_at=now - day)
    rows.consent(pk[19], marketing, granted=False, captured_at=now - day)
    rows.consent(
        pk[18],
        ConsentPurpose.PARTNER_SHARING,
        granted=True,
        captured_at=now - day,
        partner_id=partner,
    )
    rows.consent(pk[18], ConsentPurpose.PROFILING, granted=False, captured_at=now - day)
    return customers


@pytest.fixture(scope="module")
async def world(database_factory: Any) -> AsyncIterator[World]:
    rows = Rows()
    customers = _build(rows)
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield World(api=api, now=rows.now, customers=customers)


LIST = """query($first: Int, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}"""


async def _page(world: World, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = (await world.api.data(LIST, variables))["customers"]
    return page


async def _walk(world: World, page_size: int, **variables: Any) -> list[str]:
    """Every id of the list, page by page, checking each page's bookkeeping."""
    ids: list[str] = []
    after = None
    while True:
        page = await _page(world, first=page_size, after=after, **variables)
        edges = page["edges"]
        assert len(edges) <= page_size
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if edges:
            assert page["pageInfo"]["startCursor"] == edges[0]["cursor"]
            assert page["pageInfo"]["endCursor"] == edges[-1]["cursor"]
        ids += [edge["node"]["id"] for edge in edges]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def _matching(world: World, filter: dict[str, Any]) -> set[str]:
    page = await _page(world, first=100, filter=filter)
    ids = {edge["node"]["id"] for edge in page["edges"]}
    assert page["totalCount"] == len(ids)
    return ids


# pagination -----------------------------------------------------------------------------


async def test_first_defaults_to_20(world: World) -> None:
    page = await _page(world)
    assert len(page["edges"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == COUNT


async def test_first_may_be_100_and_0(world: World) -> None:
    assert len((await _page(world, first=100))["edges"]) == COUNT
    empty = await _page(world, first=0)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("first", [101, 1000, -1])
async def test_first_out_of_range_is_an_invalid_argument(world: World, first: int) -> None:
    errors = await world.api.errors(LIST, {"first": first})
    assert [error["extensions"]["code"] for error in errors] == ["INVALID_ARGUMENT"]
    assert errors[0]["message"] == f"first must be between 0 and 100, got {first}"


@pytest.mark.parametrize("page_size", [1, 7, 20, 45])
async def test_after_walks_the_whole_list_without_gaps_or_repeats(
    world: World, page_size: int
) -> None:
    ids = await _walk(world, page_size)
    assert ids == [c["gid"] for c in sorted(world.customers, key=lambda c: c["pk"])]


async def test_total_count_is_the_whole_list_on_every_page(world: World) -> None:
    first = await _page(world, first=5)
    second = await _page(world, first=5, after=first["pageInfo"]["endCursor"])
    assert first["totalCount"] == second["totalCount"] == COUNT


@pytest.mark.parametrize("cursor", ["nonsense", "WyJjdXN0b21lcnMiXQ", "W10", "eyJhIjoxfQ"])
async def test_a_foreign_cursor_is_an_invalid_cursor(world: World, cursor: str) -> None:
    assert await world.api.error_codes(LIST, {"after": cursor}) == {"INVALID_CURSOR"}


async def test_a_cursor_only_continues_the_order_it_came_from(world: World) -> None:
    page = await _page(world, first=2, orderBy={"field": "CREATED_AT", "direction": "ASC"})
    cursor = page["pageInfo"]["endCursor"]
    for order in (
        {"field": "CREATED_AT", "direction": "DESC"},
        {"field": "ID", "direction": "ASC"},
    ):
        assert await world.api.error_codes(LIST, {"after": cursor, "orderBy": order}) == {
            "INVALID_CURSOR"
        }


# order ----------------------------------------------------------------------------------

SORT_KEYS = {
    "ID": lambda c: (c["pk"],),
    "CREATED_AT": lambda c: (c["created_at"], c["pk"]),
    "CUSTOMER_SINCE": lambda c: (c["customer_since_date"], c["pk"]),
    # Folded names: "Ádám" sorts with "adam", not after "Z".
    "DISPLAY_NAME": lambda c: (c["search_name"], c["pk"]),
}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("order_field", sorted(SORT_KEYS))
async def test_order_by_each_field_both_ways(
    world: World, order_field: str, direction: str
) -> None:
    ids = await _walk(world, 8, orderBy={"field": order_field, "direction": direction})
    expected = sorted(world.customers, key=SORT_KEYS[order_field], reverse=direction == "DESC")
    assert ids == [c["gid"] for c in expected]


async def test_display_name_order_is_accent_and_case_insensitive(world: World) -> None:
    data = await world.api.data(
        "{ customers(first: 100, orderBy: {field: DISPLAY_NAME})"
        " { edges { node { displayName } } } }"
    )
    given = [edge["node"]["displayName"].split()[0] for edge in data["customers"]["edges"]]
    assert given.index("Ádám") < given.index("Ewa") < given.index("Łucja") < given.index("Zofia")


# filters --------------------------------------------------------------------------------


async def test_filter_by_segment_status_and_branch(world: World) -> None:
    assert await _matching(world, {"segment": ["PRIVATE", "AFFLUENT"]}) == (
        world.where(segment=Segment.PRIVATE) | world.where(segment=Segment.AFFLUENT)
    )
    assert await _matching(world, {"status": ["DORMANT"]}) == world.where(
        status=CustomerStatus.DORMANT
    )
    assert await _matching(world, {"branch": ["GDN"]}) == world.where(home_branch="GDN")
    both = await _matching(world, {"branch": ["GDN"], "segment": ["MASS"]})
    assert both == world.where(home_branch="GDN", segment=Segment.MASS) and both


async def test_an_empty_list_matches_nobody(world: World) -> None:
    assert await _matching(world, {"segment": []}) == set()


@pytest.mark.parametrize("city", ["Kraków", "krakow", "KRAKÓW"])
async def test_filter_by_city_ignores_case_and_accents(world: World, city: str) -> None:
    assert await _matching(world, {"city": city}) == world.ids([3, 7])


async def test_filter_by_product_held(world: World) -> None:
    # Customer 6's mortgage is closed and customer 8's still pending: neither holds one.
    assert await _matching(world, {"holdsProduct": ["mortgage"]}) == world.ids([5])
    assert await _matching(world, {"holdsProduct": ["mortgage", "credit_card"]}) == world.ids(
        [5, 9]
    )


async def test_filter_by_category_held(world: World) -> None:
    assert await _matching(world, {"holdsCategory": ["CARD"]}) == world.ids([9])
    assert await _matching(world, {"holdsCategory": ["LENDING", "DEPOSIT"]}) == world.ids([5, 9])


async def test_filter_by_loyalty_tier(world: World) -> None:
    assert await _matching(world, {"loyaltyTier": ["gold"]}) == world.ids([10])
    assert await _matching(world, {"loyaltyTier": ["gold", "silver"]}) == world.ids([10, 11])


async def test_filter_by_open_ticket(world: World) -> None:
    assert await _matching(world, {"hasOpenTicket": True}) == world.ids([12, 13])
    without = await _matching(world, {"hasOpenTicket": False})
    assert without == world.where() - world.ids([12, 13])


async def test_filter_by_consent_in_force(world: World) -> None:
    assert await _matching(world, {"hasConsentFor": "MARKETING"}) == world.ids([15, 17])
    assert await _matching(world, {"hasConsentFor": "PARTNER_SHARING"}) == world.ids([18])
    assert await _matching(world, {"hasConsentFor": "PROFILING"}) == set()


async def test_filter_by_creation_time(world: World) -> None:
    start = world.customers[10]["created_at"]
    end = world.customers[20]["created_at"]
    found = await _matching(
        world, {"createdAt": {"from": start.isoformat(), "to": end.isoformat()}}
    )
    assert found == {c["gid"] for c in world.customers if start <= c["created_at"] < end}
    assert found == world.ids(range(10, 20))
    since = await _matching(world, {"createdAt": {"from": end.isoformat()}})
    assert since == world.ids(range(20, COUNT))


async def test_a_time_without_offset_is_an_invalid_argument(world: World) -> None:
    errors = await world.api.errors(
        LIST, {"filter": {"createdAt": {"from": "2026-01-01T00:00:00"}}}
    )
    assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "UTC offset" in errors[0]["message"]


async def test_filters_and_order_paginate_together(world: World) -> None:
    variables = {
        "filter": {"status": ["ACTIVE"]},
        "orderBy": {"field": "DISPLAY_NAME", "direction": "DESC"},
    }
    ids = await _walk(world, 6, **variables)
    active = [c for c in world.customers if c["status"] is CustomerStatus.ACTIVE]
    assert ids == [c["gid"] for c in sorted(active, key=SORT_KEYS["DISPLAY_NAME"], reverse=True)]
    page = await _page(world, first=6, **variables)
    assert page["totalCount"] == len(active)
