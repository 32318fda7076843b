"""A partner's customers: exactly those whose newest sharing consent for it grants.

Row scoping on precisely built consent histories, through every path a partner reads
customers by: the list in each order, page by page across the customers it may not
see, with ``totalCount`` on every page; ``customer(id)``; ``nodes``. "Newest" is the
latest ``captured_at``, then the highest id; consent ids are deliberately not in
customer order, and one partner's history says nothing about another's.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.auth.principal import Principal
from c360.auth.scopes import Role, default_scopes
from c360.consent.models import ConsentPurpose
from c360.customers.normalize import fold_text
from c360.graphql.ids import encode_id
from factories import Rows

PARTNERS = ("travelco", "shopco")
SHARING = ConsentPurpose.PARTNER_SHARING
DAY = dt.timedelta(days=1)

# A consent history, oldest row first as written: (partner, granted, days ago). Rows of a
# customer get increasing ids in this order, whatever their captured_at.
HISTORIES: dict[str, list[tuple[str, bool, int]]] = {
    "granted": [("travelco", True, 30)],
    "revoked": [("travelco", True, 30), ("travelco", False, 3)],
    "regranted": [("travelco", True, 30), ("travelco", False, 10), ("travelco", True, 2)],
    # Two rows at the same instant: the one with the higher id is in force.
    "tie, grant last": [("travelco", False, 5), ("travelco", True, 5)],
    "tie, revoke last": [("travelco", True, 5), ("travelco", False, 5)],
    # captured_at decides before the id: a late-written row about the past is not newest.
    "backdated revocation": [("travelco", True, 1), ("travelco", False, 20)],
    "other partner": [("shopco", True, 30)],
    "revoked the other partner": [
        ("travelco", True, 30),
        ("shopco", True, 30),
        ("shopco", False, 1),
    ],
    "none": [],
}
# Who each partner sees: the rule, written out.
SEES = {
    "travelco": {
        "granted",
        "regranted",
        "tie, grant last",
        "backdated revocation",
        "revoked the other partner",
    },
    "shopco": {"other partner"},
}
# Runs of customers a partner may not see, at the start, in the middle and at the end.
KINDS = [
    "none",
    "revoked",
    "other partner",
    *HISTORIES,
    "revoked",
    "tie, revoke last",
    "none",
    "none",
    *reversed(HISTORIES),
    "granted",
    "regranted",
    "revoked",
    "none",
    "tie, revoke last",
    "other partner",
]


@dataclass
class World:
    url: str
    principals: dict[str, Principal] = field(default_factory=dict)
    # One per customer, in id order: pk, gid, search_name, kind.
    customers: list[dict[str, Any]] = field(default_factory=list)

    def visible(self, partner: str) -> list[dict[str, Any]]:
        return [c for c in self.customers if c["kind"] in SEES[partner]]


def _build(url: str) -> tuple[World, Rows]:
    world = World(url=url)
    rows = Rows()
    partner_ids = {code: rows.partner(code, code.title()) for code in PARTNERS}
    # Consent ids in blocks of ten per customer, the blocks shuffled.
    blocks = list(range(1000, 1000 + 10 * len(KINDS), 10))
    random.Random(6).shuffle(blocks)
    given = ["Zofia", "adam", "Łucja", "Ewa", "Ádám", "Piotr", "Ola"]
    for i, kind in enumerate(KINDS):
        name = f"{given[i % len(given)]} Nowak"
        pk = rows.customer(given_name=given[i % len(given)], family_name="Nowak")
        world.customers.append(
            {
                "pk": pk,
                "gid": encode_id("Customer", pk),
                "search_name": fold_text(name),
                "kind": kind,
            }
        )
        # A marketing consent in force for everyone: it must not count for partners.
        rows.consent(pk, ConsentPurpose.MARKETING, granted=True, captured_at=rows.now - DAY)
        for n, (partner, granted, days_ago) in enumerate(HISTORIES[kind]):
            rows.consent(
                pk,
                SHARING,
                granted=granted,
                captured_at=rows.now - days_ago * DAY,
                partner_id=partner_ids[partner],
                id=blocks[i] + n,
            )
    world.principals = {
        code: Principal(
            subject=f"test:{code}",
            role=Role.PARTNER,
            scopes=frozenset(default_scopes(Role.PARTNER)),
            partner_id=partner_id,
        )
        for code, partner_id in partner_ids.items()
    }
    return world, rows


@pytest.fixture(scope="module")
async def world(database_factory: Any) -> AsyncIterator[World]:
    url = await new_database(database_factory)
    built, rows = _build(url)
    async with serve(url) as api:
        await rows.insert(api.engine)
    yield built


LIST = """query($first: Int, $after: String, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id } }
  }
}"""


async def _walk(api: Api, page_size: int, order_by: dict[str, str]) -> tuple[list[str], set[int]]:
    """Every id of the list, page by page, and the totalCounts the pages gave."""
    ids: list[str] = []
    counts: set[int] = set()
    after = None
    while True:
        variables = {"first": page_size, "after": after, "orderBy": order_by}
        page = (await api.data(LIST, variables))["customers"]
        assert len(page["edges"]) <= page_size
        ids += [edge["node"]["id"] for edge in page["edges"]]
        counts.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return ids, counts
        after = page["pageInfo"]["endCursor"]


SORT_KEYS = {
    "ID": lambda c: (c["pk"],),
    "DISPLAY_NAME": lambda c: (c["search_name"], c["pk"]),
}


@pytest.mark.parametrize("page_size", [1, 3, 50])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("order_field", sorted(SORT_KEYS))
@pytest.mark.parametrize("partner", PARTNERS)
async def test_pages_hold_exactly_the_partner_s_customers(
    world: World, partner: str, order_field: str, direction: str, page_size: int
) -> None:
    order_by = {"field": order_field, "direction": direction}
    async with serve(world.url, principal=world.principals[partner]) as api:
        ids, counts = await _walk(api, page_size, order_by)
    expected = sorted(
        world.visible(partner), key=SORT_KEYS[order_field], reverse=direction == "DESC"
    )
    assert ids == [c["gid"] for c in expected]
    assert counts == {len(expected)}


@pytest.mark.parametrize("partner", PARTNERS)
async def test_after_the_last_visible_customer_the_page_is_empty(
    world: World, partner: str
) -> None:
    visible = len(world.visible(partner))
    async with serve(world.url, principal=world.principals[partner]) as api:
        first = (await api.data(LIST, {"first": visible}))["customers"]
        assert first["pageInfo"]["hasNextPage"] is False
        rest = await api.data(LIST, {"first": 5, "after": first["pageInfo"]["endCursor"]})
    assert rest["customers"]["edges"] == []
    assert rest["customers"]["pageInfo"]["hasNextPage"] is False
    assert rest["customers"]["totalCount"] == visible


@pytest.mark.parametrize("partner", PARTNERS)
async def test_by_id_and_as_nodes_only_the_partner_s_customers(world: World, partner: str) -> None:
    gids = [c["gid"] for c in world.customers]
    async with serve(world.url, principal=world.principals[partner]) as api:
        nodes = (await api.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": gids}))[
            "nodes"
        ]
        one_by_one = [
            (await api.data("query($id: ID!) { customer(id: $id) { id } }", {"id": gid}))[
                "customer"
            ]
            for gid in gids
        ]
    expected = [c["gid"] if c["kind"] in SEES[partner] else None for c in world.customers]
    assert [n and n["id"] for n in nodes] == expected
    assert [c and c["id"] for c in one_by_one] == expected
