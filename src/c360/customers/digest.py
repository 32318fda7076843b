"""The teller's one-look digest of a customer: money totals and flags, as pure rules.

The rules work on rows already loaded for the rest of the customer view (holdings with
their product columns, loyalty accounts with tier columns, tickets, current consents,
policies), so the digest costs no query of its own.

Balances are signed from the customer's side: money the customer owes is negative
(loans, card and credit-line balances, an overdrawn current account). Holdings where
the customer is only a guarantor count towards neither total nor the products held.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Row

from c360.consent.models import ConsentPurpose
from c360.customers.models import CustomerStatus, Segment
from c360.customers.normalize import fold_text
from c360.holdings.models import HoldingRole, HoldingStatus, ProductCategory
from c360.holdings.repository import HELD_STATUSES
from c360.interactions.models import TicketPriority
from c360.interactions.repository import OPEN_TICKET_STATUSES
from c360.loyalty.models import LoyaltyAccountStatus
from c360.warranty.models import WarrantyStatus

POINTS_EXPIRY_WINDOW = dt.timedelta(days=90)
BIRTHDAY_WINDOW_DAYS = 7
DORMANCY = dt.timedelta(days=365)
_DEBT_CATEGORIES = frozenset(
    {ProductCategory.LENDING, ProductCategory.CARD, ProductCategory.DEPOSIT}
)
_URGENT_PRIORITIES = frozenset({TicketPriority.HIGH, TicketPriority.URGENT})


class CustomerFlag(StrEnum):
    """Things a teller should notice; each rule is spelt out in ``customer_flags``."""

    VIP = "vip"
    OPEN_COMPLAINT = "open_complaint"
    POINTS_EXPIRING = "points_expiring"
    NO_MARKETING_CONSENT = "no_marketing_consent"
    ARREARS = "arrears"
    BIRTHDAY_SOON = "birthday_soon"
    DORMANT = "dormant"


@dataclass(frozen=True, slots=True)
class Amount:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFacts:
    """What the flags are decided from, all about one customer."""

    customer: Row[Any]
    holdings: list[Row[Any]]
    loyalty_accounts: list[Row[Any]]
    points_expiring_soon: int
    tickets: list[Row[Any]]
    current_consents: list[Row[Any]]
    last_contact_at: dt.datetime | None


def _owned(holdings: Iterable[Row[Any]]) -> list[Row[Any]]:
    return [h for h in holdings if h.role is not HoldingRole.GUARANTOR]


def _per_currency(pairs: Iterable[tuple[str, Decimal]]) -> list[Amount]:
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for currency, amount in pairs:
        totals[currency] += amount
    return [Amount(totals[currency], currency) for currency in sorted(totals)]


def total_deposits(holdings: Iterable[Row[Any]]) -> list[Amount]:
    """Per currency: the positive balances of ACTIVE deposit holdings."""
    return _per_currency(
        (h.currency, h.balance)
        for h in _owned(holdings)
        if h.product_category is ProductCategory.DEPOSIT
        and h.status is HoldingStatus.ACTIVE
        and h.balance is not None
        and h.balance > 0
    )


def total_debt(holdings: Iterable[Row[Any]]) -> list[Amount]:
    """Per currency, as positive amounts: owed on held lending, card and overdrawn deposits."""
    return _per_currency(
        (h.currency, -h.balance)
        for h in _owned(holdings)
        if h.product_category in _DEBT_CATEGORIES
        and h.status in HELD_STATUSES
        and h.balance is not None
        and h.balance < 0
    )


def held(holdings: Iterable[Row[Any]]) -> list[Row[Any]]:
    """The holdings the customer holds (not closed or pending, not as a guarantor)."""
    return [h for h in _owned(holdings) if h.status in HELD_STATUSES]


def open_tickets(tickets: Iterable[Row[Any]]) -> list[Row[Any]]:
    return [t for t in tickets if t.status in OPEN_TICKET_STATUSES]


def active_warranties(policies: Iterable[Row[Any]], *, today: dt.date) -> list[Row[Any]]:
    """ACTIVE policies whose cover has not ended."""
    return [
        p for p in policies if p.status is WarrantyStatus.ACTIVE and p.coverage_end_date >= today
    ]


def primary_loyalty_account(accounts: list[Row[Any]]) -> Row[Any] | None:
    """The account a teller means by "the customer's loyalty": the first active, else the first."""
    active = [a for a in accounts if a.status is LoyaltyAccountStatus.ACTIVE]
    candidates = active or accounts
    return candidates[0] if candidates else None


def customer_flags(facts: CustomerFacts, *, now: dt.datetime) -> list[CustomerFlag]:
    """The flags that apply, in the enum's order.

    VIP                   the PRIVATE segment, or an active loyalty account in its program's
                          top tier
    OPEN_COMPLAINT        an open or pending ticket of HIGH or URGENT priority, or whose subject
                          says "complaint" (tickets have no category yet)
    POINTS_EXPIRING       loyalty points expire within POINTS_EXPIRY_WINDOW (90 days)
    NO_MARKETING_CONSENT  no current, granted MARKETING consent (never asked, or revoked)
    ARREARS               a holding IN_ARREARS
    BIRTHDAY_SOON         a birthday within BIRTHDAY_WINDOW_DAYS (7), today included; a
                          29 February birthday falls on 28 February in other years
    DORMANT               status DORMANT, or a customer for over DORMANCY (365 days) with
                          no interaction within it
    """
    customer = facts.customer
    today = now.date()
    rules = {
        CustomerFlag.VIP: customer.segment is Segment.PRIVATE
        or any(
            a.status is LoyaltyAccountStatus.ACTIVE and a.tier_rank == a.program_top_rank
            for a in facts.loyalty_accounts
        ),
        CustomerFlag.OPEN_COMPLAINT: any(
            t.priority in _URGENT_PRIORITIES or "complaint" in fold_text(t.subject)
            for t in open_tickets(facts.tickets)
        ),
        CustomerFlag.POINTS_EXPIRING: facts.points_expiring_soon > 0,
        CustomerFlag.NO_MARKETING_CONSENT: not any(
            c.purpose is ConsentPurpose.MARKETING and c.granted for c in facts.current_consents
        ),
        CustomerFlag.ARREARS: any(h.status is HoldingStatus.IN_ARREARS for h in facts.holdings),
        CustomerFlag.BIRTHDAY_SOON: customer.birth_date is not None
        and _days_to_birthday(customer.birth_date, today) < BIRTHDAY_WINDOW_DAYS,
        CustomerFlag.DORMANT: customer.status is CustomerStatus.DORMANT
        or _inactive(customer.customer_since_date, facts.last_contact_at, now),
    }
    return [flag for flag in CustomerFlag if rules[flag]]


def _birthday_in(year: int, birth_date: dt.date) -> dt.date:
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February outside a leap year
        return dt.date(year, 2, 28)


def _days_to_birthday(birth_date: dt.date, today: dt.date) -> int:
    upcoming = _birthday_in(today.year, birth_date)
    if upcoming < today:
        upcoming = _birthday_in(today.year + 1, birth_date)
    return (upcoming - today).days


def _inactive(since: dt.date, last_contact_at: dt.datetime | None, now: dt.datetime) -> bool:
    if now.date() - since <= DORMANCY:
        return False
    return last_contact_at is None or now - last_contact_at > DORMANCY
