"""What the loaded demo data promises, checked on the rows as the database returns them."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Any

import phonenumbers
import pytest
from demo_support import DEMO_SECRET
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.customers.normalize import (
    email_search_key,
    fold_text,
    last4,
    national_id_hash,
    phone_search_key,
)
from c360.demo import DEMO_AS_OF
from c360.demo.catalogue import load_catalogue
from c360.demo.dataset import DemoDataset
from c360.demo.loyalty import qualifying_since
from c360.demo.tables import TABLE_ORDER
from c360.models import Base

Rows = dict[str, list[dict[str, Any]]]
AS_OF = dt.datetime.combine(DEMO_AS_OF, dt.time(), tzinfo=dt.UTC)


@pytest.fixture(scope="module")
async def rows(demo_engine: AsyncEngine) -> Rows:
    out: Rows = {}
    async with demo_engine.connect() as connection:
        for name in TABLE_ORDER:
            table = Base.metadata.tables[name]
            result = await connection.execute(select(table).order_by(table.c.id))
            out[name] = [dict(row._mapping) for row in result]
    return out


def _by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in rows}


def _product_codes(rows: Rows) -> dict[int, str]:
    return {row["id"]: row["code"] for row in rows["product"]}


def test_ledger_balances_equal_the_sum_of_points_and_of_remaining_lots(rows: Rows) -> None:
    entries = defaultdict(list)
    for entry in rows["loyalty_ledger_entry"]:
        entries[entry["account_id"]].append(entry)
    assert rows["loyalty_account"], "most customers are enrolled"
    for account in rows["loyalty_account"]:
        own = entries[account["id"]]
        lots = [e for e in own if e["points"] > 0]
        assert account["points_balance"] == sum(e["points"] for e in own)
        assert account["points_balance"] == sum(e["remaining_points"] for e in lots)
        assert all(0 <= e["remaining_points"] <= e["points"] for e in lots)
        assert all(e["remaining_points"] is None for e in own if e["points"] < 0)
        keys = [e["idempotency_key"] for e in own]
        assert len(keys) == len(set(keys))


def test_redemptions_consume_the_oldest_live_lots_first(rows: Rows) -> None:
    lots = defaultdict(list)
    for entry in rows["loyalty_ledger_entry"]:
        if entry["points"] > 0:
            lots[entry["account_id"]].append(entry)
    for account_lots in lots.values():
        expired = [lot for lot in account_lots if lot["expires_at"] <= AS_OF]
        assert all(lot["remaining_points"] == 0 for lot in expired)
        live = sorted(
            (lot for lot in account_lots if lot["expires_at"] > AS_OF),
            key=lambda e: e["occurred_at"],
        )
        # Used up, then at most one partly used, then untouched.
        states = [
            "used"
            if lot["remaining_points"] == 0
            else "full"
            if lot["remaining_points"] == lot["points"]
            else "part"
            for lot in live
        ]
        assert (
            "".join(s[0] for s in states)
            == re.match(r"u*p?f*", "".join(s[0] for s in states)).group()
        )


def test_expiries_exist_and_some_points_expire_within_ninety_days(rows: Rows) -> None:
    kinds = Counter(entry["kind"] for entry in rows["loyalty_ledger_entry"])
    assert kinds["earn"] and kinds["expire"] and kinds["redeem"]
    soon = AS_OF + dt.timedelta(days=90)
    assert any(
        e["points"] > 0 and e["remaining_points"] > 0 and AS_OF < e["expires_at"] <= soon
        for e in rows["loyalty_ledger_entry"]
    )


def test_tier_follows_points_earned_in_the_last_twelve_months(rows: Rows) -> None:
    tiers = _by_id(rows["loyalty_tier"])
    since = qualifying_since(DEMO_AS_OF)
    earned: Counter[int] = Counter()
    for entry in rows["loyalty_ledger_entry"]:
        if entry["kind"].value == "earn" and since <= entry["occurred_at"] < AS_OF:
            earned[entry["account_id"]] += entry["points"]
    for account in rows["loyalty_account"]:
        qualifying = [t for t in tiers.values() if t["threshold_points"] <= earned[account["id"]]]
        expected = max(qualifying, key=lambda t: t["rank"])
        assert account["tier_id"] == expected["id"]


def test_every_card_follows_a_current_account(rows: Rows) -> None:
    codes = _product_codes(rows)
    accounts = defaultdict(list)
    for holding in rows["holding"]:
        if codes[holding["product_id"]] == "current_account":
            accounts[holding["customer_id"]].append(holding["opened_date"])
    cards = [h for h in rows["holding"] if codes[h["product_id"]] in ("debit_card", "credit_card")]
    assert cards
    for card in cards:
        assert any(opened < card["opened_date"] for opened in accounts[card["customer_id"]])


def test_holdings_fit_the_customer_and_their_own_life(rows: Rows) -> None:
    customers = _by_id(rows["customer"])
    currency = {c.code: c.currency for c in load_catalogue().countries}
    for holding in rows["holding"]:
        customer = customers[holding["customer_id"]]
        assert customer["customer_since_date"] <= holding["opened_date"] < DEMO_AS_OF
        assert (holding["closed_date"] is not None) == (holding["status"].value == "closed")
        if holding["closed_date"] is not None:
            assert holding["opened_date"] <= holding["closed_date"] < DEMO_AS_OF
        assert holding["account_ref_masked"] == f"**** {holding['account_ref_last4']}"
        assert holding["currency"] == currency[customer["country_code"]]
        assert holding["created_at"] <= holding["updated_at"] < AS_OF
        if holding["credit_limit"] is not None and holding["balance"] is not None:
            assert -holding["credit_limit"] <= holding["balance"]


def test_tickets_and_claims_resolve_after_they_open(rows: Rows) -> None:
    assert rows["support_ticket"]
    for ticket in rows["support_ticket"]:
        finished = ticket["status"].value in ("resolved", "closed")
        assert finished == (ticket["resolved_at"] is not None) == (ticket["resolution"] is not None)
        if finished:
            assert ticket["opened_at"] <= ticket["resolved_at"] < AS_OF
    assert any(t["status"].value in ("open", "pending") for t in rows["support_ticket"])
    policies = _by_id(rows["warranty_policy"])
    for claim in rows["warranty_claim"]:
        decided = claim["status"].value == "decided"
        assert decided == (claim["decision"] is not None) == (claim["resolved_at"] is not None)
        if decided:
            assert claim["reported_at"] < claim["resolved_at"] < AS_OF
        assert (claim["amount"] is not None) == (decided and claim["decision"].value == "refund")
        policy = policies[claim["policy_id"]]
        assert (
            policy["coverage_start_date"]
            <= claim["reported_at"].date()
            <= policy["coverage_end_date"]
        )


def test_national_ids_are_stored_only_as_keyed_hashes(
    rows: Rows, demo_dataset: DemoDataset
) -> None:
    customers = rows["customer"]
    for customer, clear in zip(customers, demo_dataset.national_ids, strict=True):
        assert customer["national_id_hash"] == national_id_hash(clear, secret_key=DEMO_SECRET)
        assert customer["national_id_last4"] == last4(clear)
    stored_text = "\n".join(
        str(value)
        for table in rows.values()
        for row in table
        for value in row.values()
        if isinstance(value, str | dict | list)
    )
    leaked = [clear for clear in demo_dataset.national_ids if clear in stored_text]
    assert leaked == []


def test_national_ids_follow_each_countrys_format(rows: Rows, demo_dataset: DemoDataset) -> None:
    formats = {"PL": r"\d{11}", "UA": r"\d{10}", "ES": r"\d{8}[A-Z]", "GB": r"[A-Z]{2}\d{6}[A-D]"}
    for customer, clear in zip(rows["customer"], demo_dataset.national_ids, strict=True):
        if customer["party_type"].value == "person":
            assert re.fullmatch(formats[customer["country_code"]], clear), clear


def test_contact_points_are_valid_and_searchable(rows: Rows) -> None:
    customers = _by_id(rows["customer"])
    kinds = Counter()
    for point in rows["contact_point"]:
        kind = point["kind"].value
        kinds[kind, point["is_primary"]] += 1
        if kind == "phone":
            number = phonenumbers.parse(point["value"])
            assert phonenumbers.is_valid_number_for_region(
                number, customers[point["customer_id"]]["country_code"]
            )
            assert (
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                == point["value"]
            )
            assert point["search_key"] == phone_search_key(point["value"])
        elif kind == "email":
            assert point["search_key"] == email_search_key(point["value"])
            assert re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.(com|net|org|co\.uk)", point["value"])
        else:
            assert point["search_key"] == fold_text(point["city"])
            assert point["postal_code"] and point["address_line1"] and point["country_code"]
        assert point["valid_to"] is None or point["valid_from"] < point["valid_to"]
        assert point["verified_at"] is None or point["valid_from"] <= point["verified_at"] < AS_OF
    count = len(rows["customer"])
    assert kinds["email", True] == kinds["phone", True] == kinds["postal", True] == count
    assert kinds["postal", False] > 0, "some customers moved"


def test_customers_are_internally_consistent(rows: Rows) -> None:
    catalogue = load_catalogue()
    languages = {c.code: c.language for c in catalogue.countries}
    branches = {c.code: {city.branch for city in c.cities} for c in catalogue.countries}
    segments = {
        "low": "mass",
        "lower_middle": "mass",
        "middle": "mass",
        "upper_middle": "affluent",
        "high": "private",
    }
    for customer in rows["customer"]:
        person = customer["party_type"].value == "person"
        assert customer["search_name"] == fold_text(customer["display_name"])
        assert customer["preferred_language"] == languages[customer["country_code"]]
        assert customer["home_branch"].split("-")[0] in branches[customer["country_code"]]
        assert customer["created_at"] <= customer["updated_at"] < AS_OF
        assert customer["created_at"].date() == customer["customer_since_date"]
        if person:
            birth = customer["birth_date"]
            age = (
                DEMO_AS_OF.year
                - birth.year
                - ((DEMO_AS_OF.month, DEMO_AS_OF.day) < (birth.month, birth.day))
            )
            assert 18 <= age <= 90
            adult_on = (
                birth.replace(year=birth.year + 18)
                if (birth.month, birth.day) != (2, 29)
                else dt.date(birth.year + 18, 3, 1)
            )
            assert customer["customer_since_date"] > adult_on
            assert customer["display_name"] == f"{customer['given_name']} {customer['family_name']}"
            assert customer["segment"].value == segments[customer["income_band"].value]
        else:
            assert customer["display_name"] == customer["organisation_name"]
            assert customer["segment"].value in ("small_business", "corporate")


def test_consents_are_appended_in_time_order(rows: Rows) -> None:
    last: dict[tuple[int, str, int | None], dt.datetime] = {}
    for consent in sorted(rows["consent"], key=lambda c: c["id"]):
        purpose = consent["purpose"].value
        assert (consent["partner_id"] is not None) == (purpose == "partner_sharing")
        key = (consent["customer_id"], purpose, consent["partner_id"])
        if key in last:
            assert consent["captured_at"] > last[key]
        last[key] = consent["captured_at"]
    assert {c["code"] for c in rows["partner"]} >= {"travelco", "insureco", "shopmax"}


def test_source_records_one_to_three_per_customer(rows: Rows) -> None:
    per_customer = Counter(record["customer_id"] for record in rows["source_record"])
    assert set(per_customer) == {c["id"] for c in rows["customer"]}
    assert all(1 <= count <= 3 for count in per_customer.values())
    keys = [(r["source_system"], r["source_key"]) for r in rows["source_record"]]
    assert len(keys) == len(set(keys))


def test_interactions_and_tickets_point_at_the_customers_own_things(rows: Rows) -> None:
    holdings = _by_id(rows["holding"])
    policies = _by_id(rows["warranty_policy"])
    customers = _by_id(rows["customer"])
    codes = set(_product_codes(rows).values())
    for row in rows["interaction"] + rows["support_ticket"]:
        if row["holding_id"] is not None:
            assert holdings[row["holding_id"]]["customer_id"] == row["customer_id"]
        if row["warranty_policy_id"] is not None:
            assert policies[row["warranty_policy_id"]]["customer_id"] == row["customer_id"]
    for interaction in rows["interaction"]:
        assert (
            customers[interaction["customer_id"]]["created_at"]
            <= interaction["occurred_at"]
            < AS_OF
        )
        if interaction["topic"].startswith("enquiry:"):
            assert interaction["topic"].removeprefix("enquiry:") in codes


def test_every_retail_purchase_has_a_manufacturer_warranty(rows: Rows) -> None:
    codes = _product_codes(rows)
    retail = {
        row["id"]: row
        for row in rows["holding"]
        if codes[row["product_id"]] in ("smartphone", "laptop", "television", "washing_machine")
    }
    manufacturer = [p for p in rows["warranty_policy"] if p["kind"].value == "manufacturer"]
    assert len(manufacturer) == len(retail)
    purchases = Counter(
        (h["customer_id"], h["product_id"], h["opened_date"]) for h in retail.values()
    )
    for policy in manufacturer:
        assert purchases[policy["customer_id"], policy["product_id"], policy["purchase_date"]]
        assert policy["coverage_start_date"] == policy["purchase_date"]
        assert (policy["coverage_end_date"] - policy["purchase_date"]).days in range(727, 732)
    for policy in rows["warranty_policy"]:
        if policy["kind"].value == "extended":
            assert policy["coverage_start_date"] > policy["purchase_date"]
            assert policy["price_paid"] < policy["coverage_value"]


def test_attachments_have_unique_keys_and_checksums(rows: Rows) -> None:
    keys = [a["storage_key"] for a in rows["attachment"]]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[0-9a-f]{64}", a["checksum_sha256"]) for a in rows["attachment"])
