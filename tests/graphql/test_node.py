"""Global ids: `node`, `nodes` and `customer` with valid, unknown, malformed, wrong-type ids."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.consent.models import ConsentPurpose
from c360.graphql.ids import NODE_TYPE_NAMES, encode_id
from c360.holdings.models import ProductCategory
from factories import Rows


@dataclass
class World:
    api: Api
    ids: dict[str, int]


@pytest.fixture(scope="module")
async def world(database_factory: Any) -> AsyncIterator[World]:
    rows = Rows()
    day = dt.timedelta(days=1)
    product = rows.product("current_account", ProductCategory.DEPOSIT)
    program = rows.program()
    tier = rows.tier(program, "bronze", 0)
    customer = rows.customer(given_name="Maria", family_name="Lopez")
    account = rows.loyalty_account(customer, program, tier, points_balance=10)
    policy = rows.policy(customer)
    ids = {
        "Customer": customer,
        "Product": product,
        "Holding": rows.holding(customer, product),
        "ContactPoint": rows.email(customer, "maria@example.com"),
        "Attachment": rows.attachment(customer),
        "LoyaltyAccount": account,
        "LedgerEntry": rows.ledger_entry(account, customer, 10, occurred_at=rows.now - day),
        "WarrantyPolicy": policy,
        "WarrantyClaim": rows.claim(policy, customer),
        "Interaction": rows.interaction(customer, occurred_at=rows.now - day),
        "SupportTicket": rows.ticket(customer),
        "Consent": rows.consent(
            customer, ConsentPurpose.MARKETING, granted=True, captured_at=rows.now
        ),
    }
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield World(api=api, ids=ids)


def test_every_node_type_is_covered_here() -> None:
    # The world above builds one row of each type node(id:) resolves.
    assert {
        "Customer",
        "Product",
        "Holding",
        "ContactPoint",
        "Attachment",
        "LoyaltyAccount",
        "LedgerEntry",
        "WarrantyPolicy",
        "WarrantyClaim",
        "Interaction",
        "SupportTicket",
        "Consent",
    } == NODE_TYPE_NAMES


@pytest.mark.parametrize("type_name", sorted(NODE_TYPE_NAMES))
async def test_node_fetches_each_type_by_its_id(world: World, type_name: str) -> None:
    global_id = encode_id(type_name, world.ids[type_name])
    data = await world.api.data(
        "query($id: ID!) { node(id: $id) { __typename id } }", {"id": global_id}
    )
    assert data["node"] == {"__typename": type_name, "id": global_id}


async def test_ids_round_trip_through_node(world: World) -> None:
    data = await world.api.data(
        """{ customers { edges { node { id holdings { id product { id } }
             loyalty { id ledger { edges { node { id } } } } } } } }"""
    )
    customer = data["customers"]["edges"][0]["node"]
    ids = [
        customer["id"],
        customer["holdings"][0]["id"],
        customer["holdings"][0]["product"]["id"],
        customer["loyalty"]["id"],
        customer["loyalty"]["ledger"]["edges"][0]["node"]["id"],
    ]
    again = await world.api.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert [node["id"] for node in again["nodes"]] == ids


async def test_an_unknown_id_is_null(world: World) -> None:
    data = await world.api.data(
        "query($id: ID!) { node(id: $id) { id } customer(id: $id) { id } }",
        {"id": encode_id("Customer", 999_999)},
    )
    assert data == {"node": None, "customer": None}


async def test_nodes_keeps_the_order_with_null_for_unknown_ids(world: World) -> None:
    ids = [
        encode_id("Holding", world.ids["Holding"]),
        encode_id("Customer", 424_242),
        encode_id("Customer", world.ids["Customer"]),
    ]
    data = await world.api.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids}
    )
    assert data["nodes"] == [
        {"__typename": "Holding", "id": ids[0]},
        None,
        {"__typename": "Customer", "id": ids[2]},
    ]


def _raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


MALFORMED = [
    "not-an-id!",
    "",
    _raw_id("Customer"),
    _raw_id("Customer:"),
    _raw_id("Customer:-1"),
    _raw_id("Customer:1.5"),
    _raw_id("Customer:99999999999999999999999"),
    _raw_id("Spaceship:1"),
    _raw_id("customer:1"),
    "Q3VzdG9tZXI6MQ==" * 20,
]


@pytest.mark.parametrize("global_id", MALFORMED)
async def test_a_malformed_id_is_an_invalid_id_error(world: World, global_id: str) -> None:
    errors = await world.api.errors("query($id: ID!) { node(id: $id) { id } }", {"id": global_id})
    assert [error["extensions"]["code"] for error in errors] == ["INVALID_ID"]
    assert errors[0]["path"] == ["node"]


async def test_nodes_refuses_a_list_with_a_malformed_id(world: World) -> None:
    ids = [encode_id("Customer", world.ids["Customer"]), "garbage"]
    body = await world.api.result("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_ID"]


async def test_nodes_takes_at_most_100_ids(world: World) -> None:
    ids = [encode_id("Customer", n) for n in range(1, 102)]
    errors = await world.api.errors("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "at most 100" in errors[0]["message"]


async def test_customer_refuses_the_id_of_another_type(world: World) -> None:
    holding_id = encode_id("Holding", world.ids["Holding"])
    errors = await world.api.errors(
        "query($id: ID!) { customer(id: $id) { id } }", {"id": holding_id}
    )
    assert errors[0]["extensions"]["code"] == "INVALID_ID"
    assert "expected the id of a Customer" in errors[0]["message"]


async def test_ids_are_opaque_strings_not_database_keys(world: World) -> None:
    data = await world.api.data("{ customers { edges { node { id } } } }")
    global_id = data["customers"]["edges"][0]["node"]["id"]
    assert global_id != str(world.ids["Customer"])
    assert global_id.isascii() and "=" not in global_id
