"""Every field of ``Customer``, read through ``customer(id:)`` on precisely built rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.consent.models import ConsentPurpose
from c360.customers.models import Channel, CustomerStatus, PartyType, Segment
from c360.graphql.ids import encode_id
from c360.holdings.models import HoldingRole, HoldingStatus, ProductCategory
from c360.interactions.models import TicketPriority, TicketStatus
from c360.loyalty.models import LedgerEntryKind
from c360.warranty.models import ClaimStatus, WarrantyStatus
from factories import Rows


@dataclass
class World:
    api: Api
    now: dt.datetime
    ids: dict[str, int] = field(default_factory=dict)

    def gid(self, type_name: str, key: str) -> str:
        return encode_id(type_name, self.ids[key])


def _birthday_in(days: int, now: dt.datetime) -> dt.date:
    soon = (now + dt.timedelta(days=days)).date()
    year = soon.year - 40
    try:
        return soon.replace(year=year)
    except ValueError:  # 29 February
        return soon.replace(year=year, day=28)


def _build(rows: Rows) -> dict[str, int]:
    now = rows.now
    day = dt.timedelta(days=1)
    ids: dict[str, int] = {}
    current = rows.product("current_account", ProductCategory.DEPOSIT)
    savings = rows.product("savings_account", ProductCategory.DEPOSIT)
    loan = rows.product("personal_loan", ProductCategory.LENDING)
    card = rows.product("credit_card", ProductCategory.CARD)
    ids["washer"] = rows.product("washing_machine", ProductCategory.RETAIL_GOODS)
    program = rows.program("STARS")
    rows.tier(program, "bronze", 0)
    silver = rows.tier(program, "silver", 1)
    gold = rows.tier(program, "gold", 2)
    travelco = rows.partner("travelco", "TravelCo Holidays")

    # Łucja: something in every section, and five of the seven flags.
    c = ids["lucja"] = rows.customer(
        given_name="Łucja",
        family_name="Pérez",
        national_id="85010112345",
        birth_date=_birthday_in(3, now),
        home_branch="KRK",
        interests=["travel", "cooking"],
    )
    ids["email"] = rows.email(c, "Lucja.Perez@Example.com")
    rows.phone(c, "+48601234567", label="mobile")
    rows.postal(c, "Kraków", is_primary=False)
    ids["current"] = rows.holding(c, current, balance="1500.50")
    rows.holding(c, savings, balance="200.00", currency="EUR")
    rows.holding(c, savings, balance="99.50", role=HoldingRole.JOINT)
    ids["loan"] = rows.holding(c, loan, balance="-2000.00", status=HoldingStatus.IN_ARREARS)
    rows.holding(c, card, balance="-150.25", credit_limit=Decimal("5000.00"))
    rows.holding(
        c, current, balance="0.00", status=HoldingStatus.CLOSED, closed_date=dt.date(2024, 1, 1)
    )
    rows.holding(c, loan, balance="-5000.00", role=HoldingRole.GUARANTOR)
    rows.holding(c, current, balance="-30.00", currency="EUR")
    account = ids["account"] = rows.loyalty_account(
        c, program, silver, points_balance=700, lifetime_points=1000
    )
    rows.ledger_entry(
        account, c, 100, occurred_at=now - 400 * day, remaining_points=0, expires_at=now - 35 * day
    )
    rows.ledger_entry(account, c, -100, occurred_at=now - 35 * day, kind=LedgerEntryKind.EXPIRE)
    rows.ledger_entry(
        account,
        c,
        500,
        occurred_at=now - 300 * day,
        remaining_points=300,
        expires_at=now + 65 * day,
    )
    rows.ledger_entry(
        account,
        c,
        400,
        occurred_at=now - 100 * day,
        remaining_points=400,
        expires_at=now + 265 * day,
    )
    ids["redeem"] = rows.ledger_entry(account, c, -200, occurred_at=now - 50 * day)
    ids["policy"] = rows.policy(c, product_id=ids["washer"], purchase_date=(now - 100 * day).date())
    ids["claim"] = rows.claim(
        ids["policy"], c, amount=Decimal("349.99"), reported_at=now - 20 * day
    )
    rows.claim(ids["policy"], c, status=ClaimStatus.DECIDED, reported_at=now - 60 * day)
    rows.policy(
        c,
        status=WarrantyStatus.EXPIRED,
        purchase_date=(now - 900 * day).date(),
        coverage_end_date=(now - 100 * day).date(),
    )
    for days_ago, channel in [
        (40, Channel.PHONE),
        (2, Channel.EMAIL),
        (30, Channel.PHONE),
        (9, Channel.EMAIL),
        (1, Channel.PHONE),
    ]:
        ids[f"interaction-{days_ago}"] = rows.interaction(
            c, occurred_at=now - days_ago * day, channel=channel
        )
    ids["ticket"] = rows.ticket(c, priority=TicketPriority.HIGH)
    rows.ticket(
        c, status=TicketStatus.RESOLVED, subject="Payment holiday request", opened_at=now - 90 * day
    )
    rows.consent(c, ConsentPurpose.MARKETING, granted=True, captured_at=now - 100 * day)
    rows.consent(
        c, ConsentPurpose.MARKETING, granted=False, captured_at=now - 10 * day, source="branch"
    )
    rows.consent(c, ConsentPurpose.PROFILING, granted=True, captured_at=now - 100 * day)
    rows.consent(
        c,
        ConsentPurpose.PARTNER_SHARING,
        granted=True,
        captured_at=now - 50 * day,
        partner_id=travelco,
    )
    rows.attachment(c, created_at=now - 5 * day, file_name="id-scan.pdf")
    rows.attachment(c, created_at=now - 50 * day, file_name="contract.pdf")

    # Jan: private banking, a customer for years and never in touch: VIP and dormant.
    ids["jan"] = rows.customer(
        given_name="Jan", family_name="Kowalski", segment=Segment.PRIVATE, birth_date=None
    )
    # Acme: new, in the top loyalty tier, consents to marketing: VIP only.
    acme = ids["acme"] = rows.customer(
        party_type=PartyType.ORGANISATION,
        given_name=None,
        family_name=None,
        display_name="Acme Sp. z o.o.",
        organisation_name="Acme Sp. z o.o.",
        birth_date=None,
        customer_since_date=(now - 30 * day).date(),
    )
    rows.loyalty_account(acme, program, gold, points_balance=0)
    rows.consent(acme, ConsentPurpose.MARKETING, granted=True, captured_at=now - day)
    # Ewa: dormant by status only.
    ids["ewa"] = rows.customer(
        given_name="Ewa", family_name="Zielińska", status=CustomerStatus.DORMANT, birth_date=None
    )
    rows.interaction(ids["ewa"], occurred_at=now - 3 * day)
    return ids


@pytest.fixture(scope="module")
async def world(database_factory: Any) -> AsyncIterator[World]:
    url = await new_database(database_factory)
    rows = Rows()
    ids = _build(rows)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield World(api=api, now=rows.now, ids=ids)


async def _customer(world: World, key: str, selection: str) -> dict[str, Any]:
    data = await world.api.data(
        f"query($id: ID!) {{ customer(id: $id) {{ {selection} }} }}",
        {"id": world.gid("Customer", key)},
    )
    customer: dict[str, Any] = data["customer"]
    return customer


async def test_profile(world: World) -> None:
    customer = await _customer(
        world,
        "lucja",
        """id partyType displayName givenName familyName organisationName birthDate
        nationalIdLast4 status segment homeBranch customerSince education incomeBand
        occupation householdSize interests preferredChannel preferredLanguage countryCode
        createdAt updatedAt version""",
    )
    assert customer == {
        "id": world.gid("Customer", "lucja"),
        "partyType": "PERSON",
        "displayName": "Łucja Pérez",
        "givenName": "Łucja",
        "familyName": "Pérez",
        "organisationName": None,
        "birthDate": _birthday_in(3, world.now).isoformat(),
        "nationalIdLast4": "2345",
        "status": "ACTIVE",
        "segment": "MASS",
        "homeBranch": "KRK",
        "customerSince": "2015-03-01",
        "education": None,
        "incomeBand": None,
        "occupation": None,
        "householdSize": None,
        "interests": ["travel", "cooking"],
        "preferredChannel": "MOBILE",
        "preferredLanguage": "pl",
        "countryCode": "PL",
        "createdAt": (world.now - dt.timedelta(days=400)).isoformat(),
        "updatedAt": (world.now - dt.timedelta(days=10)).isoformat(),
        "version": 1,
    }


async def test_the_national_id_is_only_exposed_as_its_last_four_characters(world: World) -> None:
    data = await world.api.data('{ __type(name: "Customer") { fields { name } } }')
    names = {f["name"] for f in data["__type"]["fields"]}
    assert {name for name in names if "national" in name.lower()} == {"nationalIdLast4"}


async def test_contact_points_by_kind_primary_first(world: World) -> None:
    customer = await _customer(
        world, "lucja", "contactPoints { id kind label value city isPrimary validTo }"
    )
    points = customer["contactPoints"]
    assert [(p["kind"], p["value"]) for p in points] == [
        ("EMAIL", "Lucja.Perez@Example.com"),
        ("PHONE", "+48601234567"),
        ("POSTAL", "ul. Prosta 1, Kraków"),
    ]
    assert points[0]["id"] == world.gid("ContactPoint", "email")
    assert points[1]["label"] == "mobile"
    assert points[2]["city"] == "Kraków" and points[2]["isPrimary"] is False


async def test_holdings_with_products_and_exact_money(world: World) -> None:
    customer = await _customer(
        world,
        "lucja",
        """holdings { id status role accountRefMasked closedDate currency
             product { code category } balance { amount currency } creditLimit { amount } }
           inArrears: holdings(status: [IN_ARREARS]) { id }
           closedOrDormant: holdings(status: [CLOSED, DORMANT]) { product { code } }""",
    )
    holdings = customer["holdings"]
    assert len(holdings) == 8
    assert holdings[0]["id"] == world.gid("Holding", "current")
    assert holdings[0]["balance"] == {"amount": "1500.50", "currency": "PLN"}
    assert holdings[0]["product"] == {"code": "current_account", "category": "DEPOSIT"}
    card = next(h for h in holdings if h["product"]["code"] == "credit_card")
    assert card["balance"]["amount"] == "-150.25" and card["creditLimit"] == {"amount": "5000.00"}
    assert {h["role"] for h in holdings} == {"OWNER", "JOINT", "GUARANTOR"}
    assert customer["inArrears"] == [{"id": world.gid("Holding", "loan")}]
    assert customer["closedOrDormant"] == [{"product": {"code": "current_account"}}]


async def test_loyalty_account_tier_and_points(world: World) -> None:
    customer = await _customer(
        world,
        "lucja",
        """loyalty { id memberNumber status program { code name pointsValidityMonths }
             tier { code name rank thresholdPoints isTop } pointsBalance lifetimePoints
             pointsExpiringSoon }
           loyaltyAccounts { id }""",
    )
    loyalty = customer["loyalty"]
    assert loyalty["id"] == world.gid("LoyaltyAccount", "account")
    assert loyalty["program"] == {"code": "STARS", "name": "Stars", "pointsValidityMonths": 12}
    assert loyalty["tier"] == {
        "code": "silver",
        "name": "Silver",
        "rank": 1,
        "thresholdPoints": 3000,
        "isTop": False,
    }
    assert (loyalty["pointsBalance"], loyalty["lifetimePoints"]) == (700, 1000)
    # Only the lot expiring in 65 days; the lot expiring in 265 days is outside the window.
    assert loyalty["pointsExpiringSoon"] == 300
    assert customer["loyaltyAccounts"] == [{"id": loyalty["id"]}]


async def test_no_loyalty_account_is_null(world: World) -> None:
    customer = await _customer(world, "jan", "loyalty { id } loyaltyAccounts { id }")
    assert customer == {"loyalty": None, "loyaltyAccounts": []}


async def test_ledger_pages_newest_first(world: World) -> None:
    query = """query($id: ID!, $after: String) { customer(id: $id) { loyalty {
        ledger(first: 2, after: $after) {
          totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
          edges { cursor node { id kind points remainingPoints occurredAt expiresAt reason } }
        } } } }"""
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        data = await world.api.data(query, {"id": world.gid("Customer", "lucja"), "after": after})
        ledger = data["customer"]["loyalty"]["ledger"]
        assert ledger["totalCount"] == 5
        assert ledger["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [edge["node"] for edge in ledger["edges"]]
        if not ledger["pageInfo"]["hasNextPage"]:
            break
        after = ledger["pageInfo"]["endCursor"]
    assert [entry["points"] for entry in seen] == [-100, -200, 400, 500, 100]
    assert [entry["kind"] for entry in seen] == ["EXPIRE", "REDEEM", "EARN", "EARN", "EARN"]
    assert seen[1]["id"] == world.gid("LedgerEntry", "redeem")
    assert seen[1]["remainingPoints"] is None and seen[1]["expiresAt"] is None
    assert seen[2]["remainingPoints"] == 400 and seen[2]["expiresAt"] is not None
    assert sum(entry["points"] for entry in seen) == 700


async def test_warranties_with_their_claims(world: World) -> None:
    customer = await _customer(
        world,
        "lucja",
        """warranties { id status productModel manufacturer product { code category }
             pricePaid { amount currency } coverageValue { amount }
             claims { id status decision amount { amount currency } } }""",
    )
    active, expired = customer["warranties"]
    assert active["id"] == world.gid("WarrantyPolicy", "policy")
    assert active["product"] == {"code": "washing_machine", "category": "RETAIL_GOODS"}
    assert active["coverageValue"] == {"amount": "2399.00"}
    assert active["claims"][0] == {
        "id": world.gid("WarrantyClaim", "claim"),
        "status": "SUBMITTED",
        "decision": None,
        "amount": {"amount": "349.99", "currency": "PLN"},
    }
    assert [c["status"] for c in active["claims"]] == ["SUBMITTED", "DECIDED"]
    assert expired["status"] == "EXPIRED" and expired["product"] is None and expired["claims"] == []


async def test_interactions_page_by_page_and_by_channel(world: World) -> None:
    query = """query($id: ID!, $after: String, $channel: Channel) { customer(id: $id) {
        interactions(first: 2, after: $after, channel: $channel) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { node { id channel occurredAt } } } } }"""
    variables: dict[str, Any] = {"id": world.gid("Customer", "lucja")}
    pages = []
    while True:
        page = (await world.api.data(query, variables))["customer"]["interactions"]
        assert page["totalCount"] == 5
        pages.append([edge["node"]["id"] for edge in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        variables["after"] = page["pageInfo"]["endCursor"]
    newest_first = [world.gid("Interaction", f"interaction-{d}") for d in (1, 2, 9, 30, 40)]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:]]

    by_email = await world.api.data(
        query, {"id": world.gid("Customer", "lucja"), "channel": "EMAIL"}
    )
    emails = by_email["customer"]["interactions"]
    assert emails["totalCount"] == 2
    assert {edge["node"]["channel"] for edge in emails["edges"]} == {"EMAIL"}


async def test_interactions_default_page_and_empty_list(world: World) -> None:
    lucja = await _customer(world, "lucja", "interactions { edges { cursor } }")
    assert len(lucja["interactions"]["edges"]) == 5
    jan = await _customer(
        world,
        "jan",
        "interactions { totalCount edges { cursor }"
        " pageInfo { hasNextPage startCursor endCursor } }",
    )
    assert jan["interactions"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "startCursor": None, "endCursor": None},
        "edges": [],
    }


async def test_tickets_by_status(world: World) -> None:
    customer = await _customer(
        world,
        "lucja",
        """tickets { id subject status priority }
           resolved: tickets(status: [RESOLVED, CLOSED]) { subject }""",
    )
    assert [t["status"] for t in customer["tickets"]] == ["OPEN", "RESOLVED"]
    assert customer["tickets"][0]["id"] == world.gid("SupportTicket", "ticket")
    assert customer["tickets"][0]["priority"] == "HIGH"
    assert customer["resolved"] == [{"subject": "Payment holiday request"}]


async def test_consents_in_force_and_their_history(world: World) -> None:
    customer = await _customer(
        world,
        "lucja",
        """consents { purpose granted source partner { code name } }
           consentHistory { purpose granted capturedAt }""",
    )
    assert customer["consents"] == [
        {"purpose": "MARKETING", "granted": False, "source": "branch", "partner": None},
        {
            "purpose": "PARTNER_SHARING",
            "granted": True,
            "source": "web",
            "partner": {"code": "travelco", "name": "TravelCo Holidays"},
        },
        {"purpose": "PROFILING", "granted": True, "source": "web", "partner": None},
    ]
    history = customer["consentHistory"]
    assert [(c["purpose"], c["granted"]) for c in history] == [
        ("MARKETING", False),
        ("MARKETING", True),
        ("PARTNER_SHARING", True),
        ("PROFILING", True),
    ]


async def test_attachments_newest_first(world: World) -> None:
    customer = await _customer(
        world, "lucja", "attachments { fileName mediaType sizeBytes checksumSha256 }"
    )
    assert [a["fileName"] for a in customer["attachments"]] == ["id-scan.pdf", "contract.pdf"]
    assert customer["attachments"][0]["mediaType"] == "application/pdf"


SUMMARY = """summary { totalDeposits { amount currency } totalDebt { amount currency }
    productsHeld { count codes } loyaltyTier { code isTop } pointsBalance activeWarranties
    openTickets lastContactAt customerSince flags }"""


async def test_summary_of_a_busy_customer(world: World) -> None:
    summary = (await _customer(world, "lucja", SUMMARY))["summary"]
    assert summary == {
        # ACTIVE deposits with a positive balance; the joint savings account counts.
        "totalDeposits": [
            {"amount": "200.00", "currency": "EUR"},
            {"amount": "1600.00", "currency": "PLN"},
        ],
        # Loan and card, plus the overdrawn EUR account; not the loan only guaranteed.
        "totalDebt": [
            {"amount": "30.00", "currency": "EUR"},
            {"amount": "2150.25", "currency": "PLN"},
        ],
        "productsHeld": {
            "count": 6,
            "codes": ["credit_card", "current_account", "personal_loan", "savings_account"],
        },
        "loyaltyTier": {"code": "silver", "isTop": False},
        "pointsBalance": 700,
        "activeWarranties": 1,
        "openTickets": 1,
        "lastContactAt": (world.now - dt.timedelta(days=1)).isoformat(),
        "customerSince": "2015-03-01",
        "flags": [
            "OPEN_COMPLAINT",
            "POINTS_EXPIRING",
            "NO_MARKETING_CONSENT",
            "ARREARS",
            "BIRTHDAY_SOON",
        ],
    }


async def test_summary_of_a_quiet_customer(world: World) -> None:
    summary = (await _customer(world, "jan", SUMMARY))["summary"]
    assert summary == {
        "totalDeposits": [],
        "totalDebt": [],
        "productsHeld": {"count": 0, "codes": []},
        "loyaltyTier": None,
        "pointsBalance": None,
        "activeWarranties": 0,
        "openTickets": 0,
        "lastContactAt": None,
        "customerSince": "2015-03-01",
        "flags": ["VIP", "NO_MARKETING_CONSENT", "DORMANT"],
    }


@pytest.mark.parametrize(
    ("key", "flags"),
    [
        # The top loyalty tier makes a VIP; a customer of 30 days is not dormant yet.
        ("acme", ["VIP"]),
        # Status DORMANT is dormant even with a recent interaction.
        ("ewa", ["NO_MARKETING_CONSENT", "DORMANT"]),
    ],
)
async def test_flags(world: World, key: str, flags: list[str]) -> None:
    assert (await _customer(world, key, "summary { flags }"))["summary"]["flags"] == flags
