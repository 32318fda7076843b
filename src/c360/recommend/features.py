"""Customer features as of a cutoff, read from the database with SQLAlchemy Core.

Nothing dated on or after the cutoff is read: holdings count if opened before it and not
closed by then; interactions, tickets, ledger entries and warranties only if they happened
before it. Months are calendar months, so "held for 2 months" on 1 May means opened in March.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.models import (
    Customer,
    Holding,
    Interaction,
    LoyaltyLedgerEntry,
    Product,
    SupportTicket,
    WarrantyPolicy,
)

ENQUIRY_PREFIX = "enquiry:"
NO_ENQUIRY = 999
INCOME_LEVELS = ("low", "lower_middle", "middle", "upper_middle", "high")
SEGMENTS = ("mass", "affluent", "private", "small_business", "corporate")
PROFILE_FEATURES = (
    "age",
    "is_organisation",
    "income_level",
    "segment",
    "household_size",
    "tenure_months",
    "calendar_month",
    "products_held",
    "interactions_90d",
    "tickets_365d",
    "loyalty_entries_365d",
    "warranty_policies",
)
ACTIVITY_COUNTS = PROFILE_FEATURES[PROFILE_FEATURES.index("interactions_90d") :]


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = month_index(day) + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Snapshot:
    """What is known about a batch of customers on ``cutoff``, one row per customer."""

    cutoff: dt.date
    customer_ids: np.ndarray
    product_codes: tuple[str, ...]
    profile: np.ndarray  # (customers, len(PROFILE_FEATURES))
    held_months: np.ndarray  # (customers, products): months held, -1 when not held
    enquiry_months: np.ndarray  # (customers, products): months since the latest enquiry
    interests: tuple[frozenset[str], ...]
    party_types: tuple[str, ...]
    income_bands: tuple[str | None, ...]
    segments: tuple[str, ...]
    statuses: tuple[str, ...]

    @property
    def held(self) -> np.ndarray:
        return self.held_months >= 0

    def column(self, name: str) -> np.ndarray:
        return self.profile[:, PROFILE_FEATURES.index(name)]

    def has_history(self) -> np.ndarray:
        """Customers with a holding, an enquiry or any recorded activity before the cutoff."""
        activity = self.profile[:, PROFILE_FEATURES.index("interactions_90d") :].sum(axis=1)
        return (
            self.held.any(axis=1) | (self.enquiry_months < NO_ENQUIRY).any(axis=1) | (activity > 0)
        )

    def matrix(self, interest_vocabulary: Sequence[str]) -> np.ndarray:
        """The model's feature matrix; columns as ``feature_names(...)``."""
        interests = np.array(
            [[tag in mine for tag in interest_vocabulary] for mine in self.interests],
            dtype=np.float32,
        ).reshape(len(self.interests), len(interest_vocabulary))
        return np.hstack([self.profile, interests, self.held_months, self.enquiry_months]).astype(
            np.float32
        )


def feature_names(product_codes: Sequence[str], interest_vocabulary: Sequence[str]) -> list[str]:
    return [
        *PROFILE_FEATURES,
        *(f"likes:{tag}" for tag in interest_vocabulary),
        *(f"held_months:{code}" for code in product_codes),
        *(f"enquiry_months:{code}" for code in product_codes),
    ]


async def read_product_codes(connection: AsyncConnection) -> tuple[str, ...]:
    rows = await connection.execute(select(Product.code).order_by(Product.code))
    return tuple(rows.scalars())


def _restrict(query: Select, column: object, customer_ids: Sequence[int] | None) -> Select:
    return query if customer_ids is None else query.where(column.in_(customer_ids))  # type: ignore[attr-defined]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def read_snapshot(
    connection: AsyncConnection,
    cutoff: dt.date,
    *,
    customer_ids: Sequence[int] | None = None,
    product_codes: Sequence[str] | None = None,
) -> Snapshot:
    """Features on ``cutoff`` for the given customers, or everyone who was a customer by then."""
    codes = (
        tuple(product_codes) if product_codes is not None else await read_product_codes(connection)
    )
    product_index = {code: i for i, code in enumerate(codes)}
    current = month_index(cutoff)
    at = _midnight(cutoff)

    query = select(
        Customer.id,
        Customer.party_type,
        Customer.birth_date,
        Customer.income_band,
        Customer.segment,
        Customer.customer_since_date,
        Customer.household_size,
        Customer.interests,
        Customer.status,
    ).order_by(Customer.id)
    if customer_ids is None:
        query = query.where(Customer.customer_since_date < cutoff)
    customers = (await connection.execute(_restrict(query, Customer.id, customer_ids))).all()
    row_of = {row.id: i for i, row in enumerate(customers)}
    n = len(customers)

    held_months = np.full((n, len(codes)), -1, dtype=np.float32)
    held_query = (
        select(Holding.customer_id, Product.code, Holding.opened_date)
        .join(Product, Product.id == Holding.product_id)
        .where(
            Holding.opened_date < cutoff,
            or_(Holding.closed_date.is_(None), Holding.closed_date >= cutoff),
        )
        .order_by(Holding.opened_date)
    )
    for customer_id, code, opened in await connection.execute(
        _restrict(held_query, Holding.customer_id, customer_ids)
    ):
        if customer_id in row_of and code in product_index:
            held_months[row_of[customer_id], product_index[code]] = current - month_index(opened)

    enquiry_months = np.full((n, len(codes)), NO_ENQUIRY, dtype=np.float32)
    enquiry_query = (
        select(Interaction.customer_id, Interaction.topic, func.max(Interaction.occurred_at))
        .where(and_(Interaction.topic.startswith(ENQUIRY_PREFIX), Interaction.occurred_at < at))
        .group_by(Interaction.customer_id, Interaction.topic)
    )
    for customer_id, topic, occurred_at in await connection.execute(
        _restrict(enquiry_query, Interaction.customer_id, customer_ids)
    ):
        code = topic.removeprefix(ENQUIRY_PREFIX)
        if customer_id in row_of and code in product_index:
            months = current - month_index(occurred_at.date())
            enquiry_months[row_of[customer_id], product_index[code]] = months

    def recent(column: object, since: dt.datetime) -> object:
        return and_(column >= since, column < at)  # type: ignore[operator]

    # The four activity counts in one statement: serving reads one page per request, and
    # every statement is a round trip (bench/recommend_speed.py).
    def counted(table: type, kind: str, *where: object) -> Select:
        owner = table.customer_id  # type: ignore[attr-defined]
        query = select(owner, literal(kind).label("kind"), func.count()).where(*where)
        return _restrict(query.group_by(owner), owner, customer_ids)

    counts: dict[str, dict[int, int]] = {kind: {} for kind in ACTIVITY_COUNTS}
    activity = union_all(
        counted(
            Interaction,
            "interactions_90d",
            recent(Interaction.occurred_at, at - dt.timedelta(days=90)),
        ),
        counted(
            SupportTicket,
            "tickets_365d",
            recent(SupportTicket.opened_at, at - dt.timedelta(days=365)),
        ),
        counted(
            LoyaltyLedgerEntry,
            "loyalty_entries_365d",
            recent(LoyaltyLedgerEntry.occurred_at, at - dt.timedelta(days=365)),
        ),
        counted(
            WarrantyPolicy,
            "warranty_policies",
            WarrantyPolicy.purchase_date < cutoff,
        ),
    )
    for customer_id, kind, count in await connection.execute(activity):
        counts[kind][customer_id] = count
    interactions, tickets, loyalty, warranties = (counts[kind] for kind in ACTIVITY_COUNTS)

    profile = np.zeros((n, len(PROFILE_FEATURES)), dtype=np.float32)
    for i, row in enumerate(customers):
        is_organisation = str(row.party_type) == "organisation"
        profile[i] = (
            _age(row.birth_date, cutoff) if not is_organisation else -1,
            is_organisation,
            INCOME_LEVELS.index(str(row.income_band)) if row.income_band is not None else -1,
            SEGMENTS.index(str(row.segment)) if str(row.segment) in SEGMENTS else -1,
            row.household_size or 1,
            max(current - month_index(row.customer_since_date), -1),
            cutoff.month,
            (held_months[i] >= 0).sum(),
            interactions.get(row.id, 0),
            tickets.get(row.id, 0),
            loyalty.get(row.id, 0),
            warranties.get(row.id, 0),
        )
    return Snapshot(
        cutoff=cutoff,
        customer_ids=np.array([row.id for row in customers], dtype=np.int64),
        product_codes=codes,
        profile=profile,
        held_months=held_months,
        enquiry_months=enquiry_months,
        interests=tuple(frozenset(row.interests or ()) for row in customers),
        party_types=tuple(str(row.party_type) for row in customers),
        income_bands=tuple(
            str(row.income_band) if row.income_band is not None else None for row in customers
        ),
        segments=tuple(str(row.segment) for row in customers),
        statuses=tuple(str(row.status) for row in customers),
    )


def _age(birth_date: dt.date | None, on: dt.date) -> int:
    if birth_date is None:
        return -1
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


async def read_acquisitions(
    connection: AsyncConnection, start: dt.date, end: dt.date
) -> dict[int, set[str]]:
    """Per customer: the products of holdings opened in ``[start, end)``."""
    query = (
        select(Holding.customer_id, Product.code)
        .join(Product, Product.id == Holding.product_id)
        .where(Holding.opened_date >= start, Holding.opened_date < end)
    )
    acquired: dict[int, set[str]] = {}
    for customer_id, code in await connection.execute(query):
        acquired.setdefault(customer_id, set()).add(code)
    return acquired


def label_matrix(snapshot: Snapshot, acquired: dict[int, set[str]]) -> np.ndarray:
    """1 where a customer acquired a product they did not hold on the cutoff."""
    index = {code: j for j, code in enumerate(snapshot.product_codes)}
    labels = np.zeros(snapshot.held_months.shape, dtype=bool)
    for i, customer_id in enumerate(snapshot.customer_ids.tolist()):
        for code in acquired.get(customer_id, ()):
            if code in index:
                labels[i, index[code]] = True
    return labels & ~snapshot.held
