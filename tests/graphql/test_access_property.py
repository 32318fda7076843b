"""Property: whatever a partner asks, it sees only consenting customers and granted fields.

Hypothesis builds random valid queries from the schema itself (any root field, any
fields of any type reachable from it, inline fragments on the node types, nested
connections with random ``first``) and runs each with a partner token holding a random
subset of the partner scopes. For every query:

- if it selects a field whose declared scope (``@requiresScope`` in the SDL) the token
  lacks, the answer is exactly the FORBIDDEN errors naming those scopes, and no data;
- otherwise it succeeds, and every object in the answer is of a type and field the
  token's scopes allow, and every customer (or customer-owned object) in it belongs to a
  customer who consented to share with that partner.

1,000 examples per database, so 2,000 queries per run of the suite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from gqltest import new_database, settings_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c360.audit.recorder import AccessRecorder
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope, allowed_scopes
from c360.consent.models import ConsentPurpose
from c360.database import create_engine
from c360.graphql.http import create_graphql_app
from c360.graphql.ids import encode_id
from c360.graphql.permissions import RequiresScope
from c360.graphql.schema import schema
from c360.holdings.models import ProductCategory
from factories import Rows
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    is_leaf_type,
)

EXAMPLES_PER_DATABASE = 1_000
MAX_DEPTH = 4
_ALIAS = "__as__"  # Holding__as__status: status
GRAPHQL_SCHEMA = schema._schema
PARTNER_SCOPES = sorted(allowed_scopes(Role.PARTNER) - {Scope.LOYALTY_WRITE, Scope.WARRANTY_WRITE})


def _declared(extensions: dict[str, Any] | None) -> Scope | None:
    definition = (extensions or {}).get("strawberry-definition")
    for directive in getattr(definition, "directives", None) or ():
        if isinstance(directive, RequiresScope):
            return Scope(directive.scope)
    return None


def required_scope(type_name: str, field_name: str) -> Scope | None:
    """The scope the SDL declares for a field: its own, or else its type's."""
    graphql_type = GRAPHQL_SCHEMA.get_type(type_name)
    assert isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType))
    return _declared(graphql_type.fields[field_name].extensions) or _declared(
        graphql_type.extensions
    )


# --- the world ----------------------------------------------------------------------


@dataclass
class World:
    url: str
    partners: dict[str, int] = field(default_factory=dict)
    # partner name -> the customers sharing with it
    sharing: dict[str, set[int]] = field(default_factory=dict)
    customers: list[int] = field(default_factory=list)
    # global id -> the customer that owns it, for every customer-owned node
    owner_of: dict[str, int] = field(default_factory=dict)

    @property
    def node_ids(self) -> list[str]:
        return sorted(self.owner_of)


async def _build(url: str) -> tuple[World, Rows]:
    world = World(url=url)
    rows = Rows()
    now = rows.now
    day = dt.timedelta(days=1)
    current = rows.product("current_account", ProductCategory.DEPOSIT)
    program = rows.program("STARS")
    tier = rows.tier(program, "bronze", 0)
    for name in ("travelco", "shopco"):
        world.partners[name] = rows.partner(name, name.title())
    # customer -> the partners it shares with now
    plan = {
        "ada": {"travelco"},
        "bruno": set(),
        "celia": {"shopco"},
        "dora": {"travelco", "shopco"},
    }
    world.sharing = {name: set() for name in world.partners}
    for given_name, shares in plan.items():
        c = rows.customer(given_name=given_name.title(), family_name="Zielińska")
        world.customers.append(c)
        owned = {
            "Customer": c,
            "ContactPoint": rows.email(c, f"{given_name}@example.com"),
            "Holding": rows.holding(c, current),
            "LoyaltyAccount": (account := rows.loyalty_account(c, program, tier)),
            "LedgerEntry": rows.ledger_entry(account, c, 50, occurred_at=now - 5 * day),
            "WarrantyPolicy": (policy := rows.policy(c)),
            "WarrantyClaim": rows.claim(policy, c),
            "SupportTicket": rows.ticket(c),
            "Interaction": rows.interaction(c, occurred_at=now - day),
            "Attachment": rows.attachment(c),
        }
        for partner_name, partner_id in world.partners.items():
            # Everyone once shared with every partner; those who stopped revoked it.
            rows.consent(
                c,
                ConsentPurpose.PARTNER_SHARING,
                granted=True,
                captured_at=now - 30 * day,
                partner_id=partner_id,
            )
            if partner_name not in shares:
                owned_consent = rows.consent(
                    c,
                    ConsentPurpose.PARTNER_SHARING,
                    granted=False,
                    captured_at=now - 2 * day,
                    partner_id=partner_id,
                )
                world.owner_of[encode_id("Consent", owned_consent)] = c
            else:
                world.sharing[partner_name].add(c)
        for type_name, pk in owned.items():
            world.owner_of[encode_id(type_name, pk)] = c
    return world, rows


class _Caller:
    """The app with a switchable principal: one engine for every example."""

    principal: Principal | None = None

    async def authenticate(self, _request: Any) -> Principal:
        assert self.principal is not None
        return self.principal


@pytest.fixture(scope="module")
async def harness(database_factory: Any) -> AsyncIterator[tuple[World, _Caller, httpx.AsyncClient]]:
    url = await new_database(database_factory)
    world, rows = await _build(url)
    engine = create_engine(url)
    await rows.insert(engine)
    caller = _Caller()
    recorder = AccessRecorder(engine)
    app = create_graphql_app(
        engine=engine,
        settings=settings_for(url),
        recorder=recorder,
        authenticate=caller.authenticate,
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://c360.test") as client:
            yield world, caller, client
    finally:
        await recorder.close()
        await engine.dispose()


# --- queries from the schema -----------------------------------------------------------


@dataclass
class Query:
    text: str
    needs: set[Scope] = field(default_factory=set)


def _fields_of(graphql_type: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
    # Fields whose arguments are all optional (the ones with required ones are roots).
    return sorted(
        name
        for name, f in graphql_type.fields.items()
        if not any(isinstance(arg.type, GraphQLNonNull) for arg in f.args.values())
    )


def _selection(
    draw: st.DrawFn,
    graphql_type: GraphQLObjectType | GraphQLInterfaceType,
    depth: int,
    query: Query,
    alias: str = "",
) -> str:
    parts = ["__typename"]
    if "id" in graphql_type.fields:
        parts.append("id")
        if (scope := required_scope(graphql_type.name, "id")) is not None:
            query.needs.add(scope)
    if isinstance(graphql_type, GraphQLInterfaceType):
        implementations = GRAPHQL_SCHEMA.get_implementations(graphql_type).objects
        for target in draw(
            st.lists(st.sampled_from(implementations), max_size=2, unique_by=lambda t: t.name)
        ):
            # Aliased per type: two node types may have same-named fields of different
            # types (Holding.status, SupportTicket.status), which may not share a name.
            inner = _selection(draw, target, depth, query, alias=f"{target.name}{_ALIAS}")
            parts.append(f"... on {target.name} {{ {inner} }}")
        return " ".join(parts)
    candidates = [name for name in _fields_of(graphql_type) if name != "id"]
    if depth >= MAX_DEPTH:
        candidates = [
            n for n in candidates if is_leaf_type(get_named_type(graphql_type.fields[n].type))
        ]
    for name in (
        draw(st.lists(st.sampled_from(candidates), max_size=4, unique=True)) if candidates else []
    ):
        graphql_field = graphql_type.fields[name]
        if (scope := required_scope(graphql_type.name, name)) is not None:
            query.needs.add(scope)
        arguments = ""
        if "first" in graphql_field.args and draw(st.booleans()):
            arguments = f"(first: {draw(st.integers(0, 3))})"
        target = get_named_type(graphql_field.type)
        selected = f"{alias}{name}: {name}{arguments}" if alias else name + arguments
        if is_leaf_type(target):
            parts.append(selected)
        else:
            assert isinstance(target, (GraphQLObjectType, GraphQLInterfaceType))
            parts.append(f"{selected} {{ {_selection(draw, target, depth + 1, query)} }}")
    return " ".join(parts)


@st.composite
def queries(draw: st.DrawFn, world: World) -> Query:
    query = Query(text="")
    root = GRAPHQL_SCHEMA.query_type
    assert root is not None
    name = draw(st.sampled_from(["customer", "customers", "node", "nodes", "searchCustomers"]))
    if (scope := required_scope("Query", name)) is not None:
        query.needs.add(scope)
    match name:
        case "customer":
            pk = draw(st.sampled_from(world.customers))
            arguments = f'(id: "{encode_id("Customer", pk)}")'
        case "node":
            arguments = f'(id: "{draw(st.sampled_from(world.node_ids))}")'
        case "nodes":
            ids = draw(st.lists(st.sampled_from(world.node_ids), min_size=1, max_size=6))
            arguments = "(ids: [" + ", ".join(f'"{i}"' for i in ids) + "])"
        case "searchCustomers":
            arguments = f'(query: "{draw(st.sampled_from(["Zielińska", "ada", "example.com"]))}")'
        case _:
            arguments = f"(first: {draw(st.integers(1, 10))})"
    target = get_named_type(root.fields[name].type)
    assert isinstance(target, (GraphQLObjectType, GraphQLInterfaceType))
    query.text = f"{{ {name}{arguments} {{ {_selection(draw, target, 1, query)} }} }}"
    return query


# --- the property --------------------------------------------------------------------


def _check(value: Any, held: frozenset[Scope], visible: set[int], world: World) -> None:
    if isinstance(value, list):
        for item in value:
            _check(item, held, visible, world)
        return
    if not isinstance(value, dict):
        return
    type_name = value["__typename"]
    for key, item in value.items():
        if key == "__typename":
            continue
        if _ALIAS in key:
            aliased_type, _, key = key.partition(_ALIAS)
            assert aliased_type == type_name
        scope = required_scope(type_name, key)
        assert scope is None or scope in held, f"{type_name}.{key} needs {scope}"
        _check(item, held, visible, world)
    if "id" in value and value["id"] in world.owner_of:
        assert world.owner_of[value["id"]] in visible, f"{value['id']} of a non-sharing customer"


async def test_a_partner_never_sees_beyond_consent_and_scopes(
    harness: tuple[World, _Caller, httpx.AsyncClient],
) -> None:
    world, caller, client = harness
    checked = 0

    @settings(
        max_examples=EXAMPLES_PER_DATABASE,
        deadline=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        nonlocal checked
        partner = data.draw(st.sampled_from(sorted(world.partners)))
        scopes = frozenset(data.draw(st.sets(st.sampled_from(PARTNER_SCOPES))))
        query = data.draw(queries(world))
        pending.append((partner, scopes, query))
        checked += 1

    pending: list[tuple[str, frozenset[Scope], Query]] = []
    answered = with_data = 0
    example()  # draws the examples (hypothesis drives a sync function) ...
    for partner, scopes, query in pending:  # ... which run here, against the real app
        caller.principal = Principal(
            subject=f"test:{partner}",
            role=Role.PARTNER,
            scopes=scopes,
            partner_id=world.partners[partner],
        )
        response = await client.post("/graphql", json={"query": query.text})
        assert response.status_code == 200, response.text
        body = response.json()
        missing = sorted(scope.value for scope in query.needs - scopes)
        if missing:
            assert body.get("data") is None, (query.text, body)
            codes = {e["extensions"]["code"] for e in body["errors"]}
            assert codes == {"FORBIDDEN"}, (query.text, body)
            assert sorted(e["extensions"]["missingScopes"][0] for e in body["errors"]) == missing
            continue
        assert "errors" not in body, (query.text, sorted(scopes), body)
        answered += 1
        if any(v for v in body["data"].values()):
            with_data += 1
        for root_value in body["data"].values():  # the root object has no __typename
            _check(root_value, scopes, world.sharing[partner], world)
    assert checked >= EXAMPLES_PER_DATABASE
    # Shown with `pytest -s`: how many of the queries were answered, and with customer data.
    print(f"\n{checked} queries: {answered} answered, {with_data} with customer data")
    # Not vacuous: a good share of the queries were answered, with customer data in them.
    assert answered >= EXAMPLES_PER_DATABASE // 5, answered
    assert with_data >= EXAMPLES_PER_DATABASE // 10, with_data
