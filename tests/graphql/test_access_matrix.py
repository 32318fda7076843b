"""Who sees what: role x field group x path, on precisely built rows.

Three customers and two partners:

    ada    branch WAW   shares with travelco
    bruno  branch KRK   shared with travelco, then revoked
    celia  branch KRK   no sharing consent

Each principal must see exactly its rows on every path (customer, customers with
totalCount, searchCustomers, node, nodes, nested lists), exactly its field groups
(FORBIDDEN naming the missing scope otherwise), and personal data in clear only with
customer:pii. The authentication in front of this is tested in tests/auth/.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from gqltest import Api, new_database, serve
from sqlalchemy import func, select

from c360.audit.models import AccessLogEntry
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope, default_scopes
from c360.consent.models import ConsentPurpose
from c360.graphql.ids import encode_id
from c360.holdings.models import ProductCategory
from c360.loyalty.models import LoyaltyLedgerEntry
from factories import Rows

CUSTOMERS = ("ada", "bruno", "celia")


@dataclass
class World:
    url: str
    ids: dict[str, int] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)

    def gid(self, type_name: str, key: str) -> str:
        return encode_id(type_name, self.ids[key])

    def customer_key(self, global_id: str) -> str:
        by_gid = {encode_id("Customer", self.ids[name]): name for name in CUSTOMERS}
        return by_gid[global_id]


def _principal(
    name: str, role: Role, scopes: set[Scope] | None = None, **limits: object
) -> Principal:
    return Principal(
        subject=f"test:{name}",
        role=role,
        scopes=frozenset(default_scopes(role) if scopes is None else scopes),
        **limits,  # type: ignore[arg-type]
    )


async def _build(url: str) -> tuple[World, Rows]:
    world = World(url=url)
    rows = Rows()
    now = rows.now
    day = dt.timedelta(days=1)
    ids = world.ids
    current = rows.product("current_account", ProductCategory.DEPOSIT)
    program = rows.program("STARS")
    tier = rows.tier(program, "bronze", 0)
    travelco = ids["travelco"] = rows.partner("travelco", "TravelCo Holidays")
    ids["shopco"] = rows.partner("shopco", "ShopCo")
    for name, given, branch in [
        ("ada", "Ada", "WAW"),
        ("bruno", "Bruno", "KRK"),
        ("celia", "Celia", "KRK"),
    ]:
        c = ids[name] = rows.customer(given_name=given, family_name="Zielińska", home_branch=branch)
        rows.email(c, f"{name}.zielinska@example.com")
        rows.phone(c, "+48601234123")
        ids[f"{name}-holding"] = rows.holding(c, current)
        ids[f"{name}-account"] = rows.loyalty_account(c, program, tier)
        ids[f"{name}-policy"] = rows.policy(c)
        ids[f"{name}-ticket"] = rows.ticket(c)
        rows.interaction(c, occurred_at=now - 2 * day)
        rows.attachment(c)
    rows.consent(
        ids["ada"],
        ConsentPurpose.PARTNER_SHARING,
        granted=True,
        captured_at=now - 30 * day,
        partner_id=travelco,
    )
    rows.consent(
        ids["bruno"],
        ConsentPurpose.PARTNER_SHARING,
        granted=True,
        captured_at=now - 30 * day,
        partner_id=travelco,
    )
    rows.consent(
        ids["bruno"],
        ConsentPurpose.PARTNER_SHARING,
        granted=False,
        captured_at=now - 3 * day,
        partner_id=travelco,
    )
    world.principals = {
        "admin": _principal("admin", Role.ADMIN),
        "teller": _principal("teller", Role.TELLER),
        "teller-krk": _principal("teller-krk", Role.TELLER, branch="KRK"),
        "marketing": _principal("marketing", Role.MARKETING),
        "service": _principal("service", Role.SERVICE),
        "travelco": _principal("travelco", Role.PARTNER, partner_id=travelco),
        "travelco-pii": _principal(
            "travelco-pii",
            Role.PARTNER,
            {Scope.CUSTOMER_READ, Scope.CUSTOMER_PII, Scope.LOYALTY_READ, Scope.WARRANTY_READ},
            partner_id=travelco,
        ),
        "shopco": _principal("shopco", Role.PARTNER, partner_id=ids["shopco"]),
        "partner-without-partner": _principal("nobody", Role.PARTNER),
        "self-ada": _principal("self-ada", Role.CUSTOMER, customer_id=ids["ada"]),
        "self-bruno": _principal("self-bruno", Role.CUSTOMER, customer_id=ids["bruno"]),
    }
    return world, rows


@pytest.fixture(scope="module")
async def world(database_factory: object) -> AsyncIterator[World]:
    url = await new_database(database_factory)
    built, rows = await _build(url)
    async with serve(url) as api:
        await rows.insert(api.engine)
    yield built


VISIBLE = {
    "admin": {"ada", "bruno", "celia"},
    "teller": {"ada", "bruno", "celia"},
    "teller-krk": {"bruno", "celia"},
    "marketing": {"ada", "bruno", "celia"},
    "service": {"ada", "bruno", "celia"},
    "travelco": {"ada"},  # bruno revoked his consent
    "travelco-pii": {"ada"},
    "shopco": set(),
    "partner-without-partner": set(),
    "self-ada": {"ada"},
    "self-bruno": {"bruno"},
}


class as_principal:  # noqa: N801 - reads as a phrase: `async with as_principal(world, "teller")`
    def __init__(self, world: World, who: str) -> None:
        self._cm = serve(world.url, principal=world.principals[who])

    async def __aenter__(self) -> Api:
        return await self._cm.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)


# --- rows: every path shows exactly the visible customers ------------------------------


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_customer_by_id(world: World, who: str) -> None:
    async with as_principal(world, who) as api:
        seen = set()
        for name in CUSTOMERS:
            data = await api.data(
                "query($id: ID!) { customer(id: $id) { id } }", {"id": world.gid("Customer", name)}
            )
            if data["customer"] is not None:
                seen.add(world.customer_key(data["customer"]["id"]))
    assert seen == VISIBLE[who]


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_customers_list_and_total_count(world: World, who: str) -> None:
    async with as_principal(world, who) as api:
        data = await api.data("{ customers(first: 100) { totalCount edges { node { id } } } }")
    seen = {world.customer_key(edge["node"]["id"]) for edge in data["customers"]["edges"]}
    assert seen == VISIBLE[who]
    assert data["customers"]["totalCount"] == len(VISIBLE[who])


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_search(world: World, who: str) -> None:
    query = '{ searchCustomers(query: "Zielińska") { totalCount edges { node { id } } } }'
    async with as_principal(world, who) as api:
        body = await api.result(query)
    if Scope.CUSTOMER_PII not in world.principals[who].scopes:
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert body["errors"][0]["extensions"]["missingScopes"] == ["customer:pii"]
        return
    seen = {world.customer_key(e["node"]["id"]) for e in body["data"]["searchCustomers"]["edges"]}
    assert seen == VISIBLE[who]
    assert body["data"]["searchCustomers"]["totalCount"] == len(VISIBLE[who])


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_node_and_nodes_of_customers_and_their_holdings(world: World, who: str) -> None:
    customer_ids = [world.gid("Customer", name) for name in CUSTOMERS]
    holding_ids = [world.gid("Holding", f"{name}-holding") for name in CUSTOMERS]
    account_ids = [world.gid("LoyaltyAccount", f"{name}-account") for name in CUSTOMERS]
    async with as_principal(world, who) as api:
        nodes = (
            await api.data(
                "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                {"ids": customer_ids + holding_ids + account_ids},
            )
        )["nodes"]
        single = [
            (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": gid}))["node"]
            for gid in customer_ids + holding_ids + account_ids
        ]
    scopes = world.principals[who].scopes
    expected: list[str | None] = []
    for type_name, key, scope in [
        ("Customer", "", None),
        ("Holding", "-holding", Scope.HOLDINGS_READ),
        ("LoyaltyAccount", "-account", Scope.LOYALTY_READ),
    ]:
        for name in CUSTOMERS:
            shown = name in VISIBLE[who] and (scope is None or scope in scopes)
            expected.append(world.gid(type_name, name + key) if shown else None)
    assert [n and n["id"] for n in nodes] == expected
    assert [n and n["id"] for n in single] == expected


@pytest.mark.parametrize("who", sorted(VISIBLE))
async def test_nested_lists_under_visible_customers_only(world: World, who: str) -> None:
    query = "{ customers(first: 100) { edges { node { id loyaltyAccounts { id } } } } }"
    async with as_principal(world, who) as api:
        body = await api.result(query)
    if Scope.LOYALTY_READ not in world.principals[who].scopes:
        assert body["errors"][0]["extensions"]["missingScopes"] == ["loyalty:read"]
        return
    accounts = {
        account["id"]
        for edge in body["data"]["customers"]["edges"]
        for account in edge["node"]["loyaltyAccounts"]
    }
    assert accounts == {world.gid("LoyaltyAccount", f"{name}-account") for name in VISIBLE[who]}


async def test_a_revoked_sharing_consent_hides_the_customer_at_once(world: World) -> None:
    rows = Rows()
    async with as_principal(world, "travelco") as api:
        query = "query($id: ID!) { customer(id: $id) { id } }"
        variables = {"id": world.gid("Customer", "ada")}
        assert (await api.data(query, variables))["customer"] is not None
        rows.consent(
            world.ids["ada"],
            ConsentPurpose.PARTNER_SHARING,
            granted=False,
            captured_at=rows.now,
            partner_id=world.ids["travelco"],
            id=1000,
        )
        await rows.insert(api.engine)
        try:
            assert (await api.data(query, variables))["customer"] is None
            assert (await api.data("{ customers { totalCount } }"))["customers"]["totalCount"] == 0
        finally:  # give it back for the other tests of this module
            rows.consent(
                world.ids["ada"],
                ConsentPurpose.PARTNER_SHARING,
                granted=True,
                captured_at=rows.now + dt.timedelta(seconds=1),
                partner_id=world.ids["travelco"],
                id=1001,
            )
            await rows.insert(api.engine)
        assert (await api.data(query, variables))["customer"] is not None


# --- field groups: each needs its scope ----------------------------------------------

GROUPS = {
    Scope.CUSTOMER_READ: "displayName",
    Scope.HOLDINGS_READ: "holdings { id }",
    Scope.LOYALTY_READ: "loyalty { pointsBalance }",
    Scope.WARRANTY_READ: "warranties { id }",
    Scope.INTERACTIONS_READ: "tickets { id }",
    Scope.CONSENTS_READ: "consents { purpose }",
    Scope.RECOMMENDATIONS_READ: "nextBestProducts { score }",
    Scope.AUDIT_READ: "accessLog { totalCount }",
    Scope.CUSTOMER_PII: "attachments { fileName }",
}


@pytest.mark.parametrize("scope", list(GROUPS), ids=lambda s: s.value)
@pytest.mark.parametrize(
    "who", ["admin", "teller", "marketing", "service", "travelco", "travelco-pii", "self-ada"]
)
async def test_each_field_group_needs_its_scope(world: World, who: str, scope: Scope) -> None:
    query = f"query($id: ID!) {{ customer(id: $id) {{ id {GROUPS[scope]} }} }}"
    async with as_principal(world, who) as api:
        body = await api.result(query, {"id": world.gid("Customer", "ada")})
    held = world.principals[who].scopes
    missing = sorted(s.value for s in {Scope.CUSTOMER_READ, scope} - held)
    if missing:
        assert body["data"] is None
        assert sorted(e["extensions"]["missingScopes"][0] for e in body["errors"]) == missing
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
        assert all(s in e["message"] for e, s in zip(body["errors"], missing, strict=False))
    else:
        assert "errors" not in body, body
        assert body["data"]["customer"]["id"] == world.gid("Customer", "ada")


async def test_forbidden_runs_no_sql(world: World) -> None:
    from gqltest import count_statements

    async with as_principal(world, "marketing") as api:
        with count_statements(api.engine) as log:
            codes = await api.error_codes(
                "query($id: ID!) { customer(id: $id) { tickets { id } } }",
                {"id": world.gid("Customer", "ada")},
            )
    assert codes == {"FORBIDDEN"}
    assert len(log) == 0


async def test_a_fragment_cannot_smuggle_a_field_past_its_scope(world: World) -> None:
    query = """
        query($id: ID!) { node(id: $id) { id ...Money } }
        fragment Money on Customer { ... on Customer { holdings { balance { amount } } } }
    """
    async with as_principal(world, "travelco") as api:
        errors = await api.errors(query, {"id": world.gid("Customer", "ada")})
    assert [e["extensions"]["missingScopes"] for e in errors] == [["holdings:read"]]


async def test_summary_fields_need_the_scope_of_what_they_sum(world: World) -> None:
    query = """query($id: ID!) { customer(id: $id) {
        summary { customerSince pointsBalance openTickets }
    } }"""
    async with as_principal(world, "travelco") as api:
        errors = await api.errors(query, {"id": world.gid("Customer", "ada")})
    assert [e["extensions"]["missingScopes"] for e in errors] == [["interactions:read"]]


# --- masking -------------------------------------------------------------------------

PROFILE = """query($id: ID!) { customer(id: $id) {
    displayName givenName familyName birthDate
    contactPoints { kind value }
} }"""


@pytest.mark.parametrize("who", ["marketing", "travelco"])
async def test_personal_data_is_masked_without_pii(world: World, who: str) -> None:
    async with as_principal(world, who) as api:
        customer = (await api.data(PROFILE, {"id": world.gid("Customer", "ada")}))["customer"]
    assert customer["displayName"] == "A*** Z***"
    assert customer["givenName"] == "A***"
    assert customer["familyName"] == "Z***"
    assert customer["birthDate"] is None
    values = {c["kind"]: c["value"] for c in customer["contactPoints"]}
    assert values == {"EMAIL": "a***@example.com", "PHONE": "+48 *** *** 123"}


@pytest.mark.parametrize("who", ["teller", "travelco-pii", "self-ada"])
async def test_personal_data_is_clear_with_pii(world: World, who: str) -> None:
    async with as_principal(world, who) as api:
        customer = (await api.data(PROFILE, {"id": world.gid("Customer", "ada")}))["customer"]
    assert customer["displayName"] == "Ada Zielińska"
    assert customer["birthDate"] == "1980-05-17"
    values = {c["kind"]: c["value"] for c in customer["contactPoints"]}
    assert values == {"EMAIL": "ada.zielinska@example.com", "PHONE": "+48601234123"}


# --- introspection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin", True),
        ("teller", True),
        ("marketing", True),
        ("travelco", False),
        ("self-ada", False),
    ],
)
async def test_introspection_is_for_staff_only(world: World, who: str, allowed: bool) -> None:
    async with as_principal(world, who) as api:
        body = await api.result("{ __schema { queryType { name } } }")
        typename = await api.data("{ __typename }")
    assert typename == {"__typename": "Query"}
    if allowed:
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    else:
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


# --- writes obey the same rows and scopes ------------------------------------------------

EARN = """mutation($input: EarnPointsInput!) { earnPoints(input: $input) {
    __typename ... on PointsEntryError { code field }
} }"""


def _earn(world: World, name: str, key: str) -> dict[str, object]:
    return {
        "input": {
            "customerId": world.gid("Customer", name),
            "points": 10,
            "reason": "matrix test",
            "idempotencyKey": key,
        }
    }


async def test_a_write_needs_its_scope(world: World) -> None:
    async with as_principal(world, "travelco") as api:
        errors = await api.errors(EARN, _earn(world, "ada", "matrix-1"))
    assert [e["extensions"]["missingScopes"] for e in errors] == [["loyalty:write"]]


@pytest.mark.parametrize(("name", "found"), [("ada", True), ("bruno", False), ("celia", False)])
async def test_a_write_to_an_invisible_customer_is_a_missing_customer(
    world: World, name: str, found: bool
) -> None:
    world.principals["travelco-writer"] = _principal(
        "travelco-writer",
        Role.PARTNER,
        {Scope.CUSTOMER_READ, Scope.LOYALTY_READ, Scope.LOYALTY_WRITE},
        partner_id=world.ids["travelco"],
    )
    async with as_principal(world, "travelco-writer") as api:
        result = (await api.data(EARN, _earn(world, name, f"matrix-{name}")))["earnPoints"]
        async with api.engine.connect() as conn:
            booked = await conn.scalar(
                select(func.count())
                .select_from(LoyaltyLedgerEntry)
                .where(LoyaltyLedgerEntry.idempotency_key == f"matrix-{name}")
            )
    assert booked == (1 if found else 0)
    if found:
        assert result == {"__typename": "PointsEntrySuccess"}
    else:
        assert result == {
            "__typename": "PointsEntryError",
            "code": "CUSTOMER_NOT_FOUND",
            "field": ["input", "customerId"],
        }


# --- the access audit ----------------------------------------------------------------


async def test_every_read_is_in_the_access_log(world: World) -> None:
    query = "query Look($id: ID!) { customer(id: $id) { displayName holdings { id } } }"
    async with as_principal(world, "teller-krk") as api:
        await api.client.post(
            "/graphql",
            json={"query": query, "variables": {"id": world.gid("Customer", "celia")}},
            headers={"X-C360-Purpose": "branch visit"},
        )
        await api.data("{ customers(first: 100) { edges { node { id } } } }")
        await api.recorder.flush()
    async with as_principal(world, "admin") as api:
        log = (
            await api.data(
                """query($id: ID!) { customer(id: $id) { accessLog(first: 5) {
                totalCount
                edges { node { subject role fieldGroups operationName purpose operationHash } }
            } } }""",
                {"id": world.gid("Customer", "celia")},
            )
        )["customer"]["accessLog"]
    newest, looked = [edge["node"] for edge in log["edges"][:2]]
    assert newest["operationName"] is None and newest["fieldGroups"] == ["customer"]
    assert looked["subject"] == "test:teller-krk"
    assert looked["role"] == "teller"
    assert looked["fieldGroups"] == ["customer", "holdings", "pii"]
    assert looked["operationName"] == "Look"
    assert looked["purpose"] == "branch visit"
    assert len(looked["operationHash"]) == 64
    # ada is outside the teller's branch: no record of a read that returned nothing.
    async with as_principal(world, "admin") as api, api.engine.connect() as conn:
        ada_reads = await conn.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(
                AccessLogEntry.customer_id == world.ids["ada"],
                AccessLogEntry.subject == "test:teller-krk",
            )
        )
    assert ada_reads == 0


async def test_a_customer_can_read_who_looked_at_its_data(world: World) -> None:
    async with as_principal(world, "travelco") as api:
        await api.data(
            "query($id: ID!) { customer(id: $id) { id } }", {"id": world.gid("Customer", "ada")}
        )
        await api.recorder.flush()
    async with as_principal(world, "self-ada") as api:
        log = (
            await api.data(
                """query($id: ID!) { customer(id: $id) {
                    accessLog { edges { node { subject partnerCode } } }
                } }""",
                {"id": world.gid("Customer", "ada")},
            )
        )["customer"]["accessLog"]
    assert {"subject": "test:travelco", "partnerCode": "travelco"} in [
        e["node"] for e in log["edges"]
    ]
