"""Explicit test rows for every table, inserted through SQLAlchemy Core.

``Rows`` hands out primary keys itself, so that a test can build a whole graph of
related rows before anything is written, and then ``insert`` it with one executemany
per table (in foreign-key order). Every row goes through the table's column types, so
``Money`` and ``UtcDateTime`` convert exactly as in production. Search columns are
written with the same normalisation functions the application reads them with.

Each builder takes keyword overrides for any column; the defaults are plausible and
unique where the schema wants them unique.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.consent.models import Consent, ConsentPurpose, Partner
from c360.customers.models import (
    Attachment,
    Channel,
    ContactKind,
    ContactPoint,
    Customer,
    CustomerStatus,
    PartyType,
    Segment,
)
from c360.customers.normalize import (
    email_search_key,
    fold_text,
    last4,
    national_id_hash,
    phone_search_key,
)
from c360.holdings.models import Holding, HoldingRole, HoldingStatus, Product, ProductCategory
from c360.interactions.models import (
    Direction,
    Interaction,
    SupportTicket,
    TicketPriority,
    TicketStatus,
)
from c360.loyalty.models import (
    LedgerEntryKind,
    LoyaltyAccount,
    LoyaltyAccountStatus,
    LoyaltyLedgerEntry,
    LoyaltyProgram,
    LoyaltyTier,
)
from c360.models import Base
from c360.warranty.models import (
    ClaimStatus,
    WarrantyClaim,
    WarrantyKind,
    WarrantyPolicy,
    WarrantyStatus,
)


def _table(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


class Rows:
    """Rows to insert, built with explicit ids and inserted together."""

    def __init__(self, *, now: dt.datetime | None = None, secret_key: str | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
        # The key the application hashes national ids with: tests/conftest.py sets it.
        self.secret_key = secret_key or os.environ["C360_SECRET_KEY"]
        self._rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self._ids: dict[Table, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._serial = itertools.count(1)

    def _add(self, model: type[Base], values: dict[str, Any], overrides: dict[str, Any]) -> int:
        table = _table(model)
        row = {column.name: None for column in table.c}
        row.update(values)
        row.update(overrides)
        unknown = set(row) - {column.name for column in table.c}
        if unknown:
            raise TypeError(f"{table.name} has no columns {sorted(unknown)}")
        if row["id"] is None:
            row["id"] = next(self._ids[table])
        self._rows[table].append(row)
        return int(row["id"])

    def serial(self) -> int:
        return next(self._serial)

    async def insert(self, engine: AsyncEngine) -> None:
        """Write every queued row, parents before children, in one transaction."""
        async with engine.begin() as conn:
            for table in Base.metadata.sorted_tables:
                if rows := self._rows.pop(table, None):
                    await conn.execute(insert(table), rows)

    # customers -----------------------------------------------------------------------

    def customer(
        self,
        *,
        given_name: str = "Anna",
        family_name: str = "Nowak",
        national_id: str | None = None,
        **overrides: Any,
    ) -> int:
        display_name = overrides.pop("display_name", f"{given_name} {family_name}")
        values = {
            "party_type": PartyType.PERSON,
            "given_name": given_name,
            "family_name": family_name,
            "display_name": display_name,
            "search_name": fold_text(display_name),
            "birth_date": dt.date(1980, 5, 17),
            "national_id_hash": None
            if national_id is None
            else national_id_hash(national_id, secret_key=self.secret_key),
            "national_id_last4": None if national_id is None else last4(national_id),
            "status": CustomerStatus.ACTIVE,
            "segment": Segment.MASS,
            "home_branch": "WAW",
            "customer_since_date": dt.date(2015, 3, 1),
            "interests": ["travel"],
            "preferred_channel": Channel.MOBILE,
            "preferred_language": "pl",
            "country_code": "PL",
            "created_at": self.now - dt.timedelta(days=400),
            "updated_at": self.now - dt.timedelta(days=10),
            "version": 1,
        }
        return self._add(Customer, values, overrides)

    def email(self, customer_id: int, address: str, **overrides: Any) -> int:
        return self._contact(
            customer_id, ContactKind.EMAIL, address, email_search_key(address), overrides
        )

    def phone(self, customer_id: int, e164: str, **overrides: Any) -> int:
        return self._contact(
            customer_id, ContactKind.PHONE, e164, phone_search_key(e164), overrides
        )

    def postal(self, customer_id: int, city: str, **overrides: Any) -> int:
        overrides = {
            "city": city,
            "address_line1": "ul. Prosta 1",
            "postal_code": "00-001",
            **overrides,
        }
        return self._contact(
            customer_id, ContactKind.POSTAL, f"ul. Prosta 1, {city}", fold_text(city), overrides
        )

    def _contact(
        self, customer_id: int, kind: ContactKind, value: str, key: str, overrides: dict[str, Any]
    ) -> int:
        values = {
            "customer_id": customer_id,
            "kind": kind,
            "value": value,
            "search_key": key,
            "is_primary": True,
            "valid_from": self.now - dt.timedelta(days=300),
            "created_at": self.now - dt.timedelta(days=300),
        }
        return self._add(ContactPoint, values, overrides)

    def attachment(self, customer_id: int, **overrides: Any) -> int:
        n = self.serial()
        values = {
            "customer_id": customer_id,
            "file_name": f"document-{n}.pdf",
            "media_type": "application/pdf",
            "size_bytes": 48_213,
            "checksum_sha256": f"{n:064x}",
            "storage_key": f"attachments/{n}",
            "created_at": self.now - dt.timedelta(days=20),
        }
        return self._add(Attachment, values, overrides)

    # holdings ------------------------------------------------------------------------

    def product(self, code: str, category: ProductCategory, **overrides: Any) -> int:
        values = {
            "code": code,
            "name": code.replace("_", " ").title(),
            "category": category,
            "currency": None,
            "is_active": True,
        }
        return self._add(Product, values, overrides)

    def holding(
        self, customer_id: int, product_id: int, *, balance: str | None = "100.00", **overrides: Any
    ) -> int:
        n = self.serial()
        values = {
            "customer_id": customer_id,
            "product_id": product_id,
            "role": HoldingRole.OWNER,
            "account_ref_masked": f"**** {n % 10000:04d}",
            "account_ref_last4": f"{n % 10000:04d}",
            "status": HoldingStatus.ACTIVE,
            "opened_date": dt.date(2020, 1, 1) + dt.timedelta(days=n),
            "balance": None if balance is None else Decimal(balance),
            "currency": "PLN",
            "created_at": self.now - dt.timedelta(days=100),
            "updated_at": self.now - dt.timedelta(days=1),
        }
        return self._add(Holding, values, overrides)

    # loyalty -------------------------------------------------------------------------

    def program(self, code: str = "STARS", **overrides: Any) -> int:
        values = {"code": code, "name": code.title(), "points_validity_months": 12}
        return self._add(LoyaltyProgram, values, overrides)

    def tier(self, program_id: int, code: str, rank: int, **overrides: Any) -> int:
        values = {
            "program_id": program_id,
            "code": code,
            "name": code.title(),
            "rank": rank,
            "threshold_points": rank * 3000,
        }
        return self._add(LoyaltyTier, values, overrides)

    def loyalty_account(
        self, customer_id: int, program_id: int, tier_id: int, **overrides: Any
    ) -> int:
        values = {
            "customer_id": customer_id,
            "program_id": program_id,
            "tier_id": tier_id,
            "member_number": f"M{self.serial():08d}",
            "status": LoyaltyAccountStatus.ACTIVE,
            "enrolled_at": self.now - dt.timedelta(days=365),
            "points_balance": 0,
            "lifetime_points": 0,
            "version": 1,
        }
        return self._add(LoyaltyAccount, values, overrides)

    def ledger_entry(
        self,
        account_id: int,
        customer_id: int,
        points: int,
        *,
        occurred_at: dt.datetime,
        **overrides: Any,
    ) -> int:
        earned = points > 0
        values = {
            "account_id": account_id,
            "customer_id": customer_id,
            "kind": LedgerEntryKind.EARN if earned else LedgerEntryKind.REDEEM,
            "points": points,
            "remaining_points": points if earned else None,
            "occurred_at": occurred_at,
            "expires_at": occurred_at + dt.timedelta(days=365) if earned else None,
            "reason": "purchase" if earned else "reward",
            "idempotency_key": f"k{self.serial()}",
            "created_at": occurred_at,
        }
        return self._add(LoyaltyLedgerEntry, values, overrides)

    # warranty ------------------------------------------------------------------------

    def policy(self, customer_id: int, **overrides: Any) -> int:
        values = {
            "customer_id": customer_id,
            "product_model": "Aquila W9 9 kg",
            "manufacturer": "Aquila",
            "serial_number": f"SN{self.serial():06d}",
            "purchase_date": (self.now - dt.timedelta(days=200)).date(),
            "coverage_start_date": (self.now - dt.timedelta(days=200)).date(),
            "coverage_end_date": (self.now + dt.timedelta(days=500)).date(),
            "kind": WarrantyKind.MANUFACTURER,
            "price_paid": Decimal("0.00"),
            "coverage_value": Decimal("2399.00"),
            "currency": "PLN",
            "status": WarrantyStatus.ACTIVE,
            "created_at": self.now - dt.timedelta(days=200),
        }
        return self._add(WarrantyPolicy, values, overrides)

    def claim(self, policy_id: int, customer_id: int, **overrides: Any) -> int:
        values = {
            "policy_id": policy_id,
            "customer_id": customer_id,
            "defect_description": "Drum does not turn.",
            "reported_at": self.now - dt.timedelta(days=30),
            "status": ClaimStatus.SUBMITTED,
        }
        return self._add(WarrantyClaim, values, overrides)

    # interactions --------------------------------------------------------------------

    def interaction(self, customer_id: int, *, occurred_at: dt.datetime, **overrides: Any) -> int:
        values = {
            "customer_id": customer_id,
            "channel": Channel.PHONE,
            "direction": Direction.INBOUND,
            "topic": "statement_request",
            "summary": "Asked for a statement.",
            "agent": "agent-7",
            "occurred_at": occurred_at,
        }
        return self._add(Interaction, values, overrides)

    def ticket(self, customer_id: int, **overrides: Any) -> int:
        values = {
            "customer_id": customer_id,
            "subject": "Card blocked after wrong PIN",
            "status": TicketStatus.OPEN,
            "priority": TicketPriority.NORMAL,
            "channel": Channel.PHONE,
            "opened_at": self.now - dt.timedelta(days=3),
        }
        return self._add(SupportTicket, values, overrides)

    # consent -------------------------------------------------------------------------

    def partner(self, code: str, name: str) -> int:
        return self._add(Partner, {"code": code, "name": name}, {})

    def consent(
        self,
        customer_id: int,
        purpose: ConsentPurpose,
        *,
        granted: bool,
        captured_at: dt.datetime,
        **overrides: Any,
    ) -> int:
        values = {
            "customer_id": customer_id,
            "purpose": purpose,
            "granted": granted,
            "captured_at": captured_at,
            "source": "web",
        }
        return self._add(Consent, values, overrides)
