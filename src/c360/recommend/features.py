"""Customer features as of a cutoff, read from the database with SQLAlchemy Core.

Nothing dated on or after the cutoff is read: holdings count if opened before it and not
closed by then; interactions, tickets, ledger entries and warranties only if they happened
before it. Months are calendar months, so "held for 2 months" on 1 May means opened in March.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Date,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.database import UtcDateTime
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


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


# Everything a snapshot needs is read in one statement, a UNION ALL of "facts" that share
# one row shape: serving scores one page per request, and every statement is a round trip
# (0.3-0.5 ms through aiosqlite or asyncpg, bench/recommend_speed.py). The first branch
# (the customers) types the columns for every branch; the others fill what they use and
# leave the rest NULL. The statement is built once per shape and takes its dates and
# customer ids as parameters, so SQLAlchemy's compiled cache serves it.
FACT_COLUMNS = ("kind", "customer_id", "text1", "text2", "text3", "text4")
FACT_COLUMNS += ("day1", "day2", "number", "seq", "interests", "at")
CUTOFF = bindparam("cutoff", type_=Date())
AT = bindparam("at", type_=UtcDateTime())
SINCE_90D = bindparam("since_90d", type_=UtcDateTime())
SINCE_365D = bindparam("since_365d", type_=UtcDateTime())
CUSTOMER_IDS = bindparam("customer_ids", expanding=True)


def fact(kind: str, customer_id: Any, **values: Any) -> Select:
    """One branch of the facts union: ``values`` by ``FACT_COLUMNS`` name, NULL elsewhere."""
    columns = [literal(kind).label("kind"), customer_id.label("customer_id")]
    columns += [values.get(name, null()).label(name) for name in FACT_COLUMNS[2:]]
    return select(*columns)


def _text(column: Any) -> Any:
    return type_coerce(column, String())


def feature_facts(*, by_id: bool) -> list[Select]:
    """The union branches of a snapshot; ``by_id``: for ``CUSTOMER_IDS``, else everyone."""
    customers = fact(
        "customer",
        Customer.id,
        text1=_text(Customer.party_type),
        text2=_text(Customer.income_band),
        text3=_text(Customer.segment),
        text4=_text(Customer.status),
        day1=Customer.birth_date,
        day2=Customer.customer_since_date,
        number=Customer.household_size,
        seq=cast(null(), BigInteger()),
        interests=Customer.interests,
        at=cast(null(), UtcDateTime()),
    )
    customers = customers.where(
        Customer.id.in_(CUSTOMER_IDS) if by_id else Customer.customer_since_date < CUTOFF
    )
    held = (
        fact("held", Holding.customer_id, text1=Product.code, day1=Holding.opened_date)
        .join_from(Holding, Product, Product.id == Holding.product_id)
        .where(
            Holding.opened_date < CUTOFF,
            or_(Holding.closed_date.is_(None), Holding.closed_date >= CUTOFF),
        )
    )
    enquiries = (
        fact(
            "enquiry",
            Interaction.customer_id,
            text1=Interaction.topic,
            at=func.max(Interaction.occurred_at),
        )
        .where(Interaction.topic.startswith(ENQUIRY_PREFIX), Interaction.occurred_at < AT)
        .group_by(Interaction.customer_id, Interaction.topic)
    )

    def counted(kind: str, table: Any, *where: Any) -> Select:
        owner = table.customer_id
        return fact(kind, owner, number=func.count()).where(*where).group_by(owner)

    def recent(column: Any, since: Any) -> tuple[Any, Any]:
        return column >= since, column < AT

    per_customer = [
        (held, Holding.customer_id),
        (enquiries, Interaction.customer_id),
        (
            counted("interactions_90d", Interaction, *recent(Interaction.occurred_at, SINCE_90D)),
            Interaction.customer_id,
        ),
        (
            counted("tickets_365d", SupportTicket, *recent(SupportTicket.opened_at, SINCE_365D)),
            SupportTicket.customer_id,
        ),
        (
            counted(
                "loyalty_entries_365d",
                LoyaltyLedgerEntry,
                *recent(LoyaltyLedgerEntry.occurred_at, SINCE_365D),
            ),
            LoyaltyLedgerEntry.customer_id,
        ),
        (
            counted("warranty_policies", WarrantyPolicy, WarrantyPolicy.purchase_date < CUTOFF),
            WarrantyPolicy.customer_id,
        ),
    ]
    return [
        customers,
        *(
            query.where(owner.in_(CUSTOMER_IDS)) if by_id else query
            for query, owner in per_customer
        ),
    ]


def feature_parameters(cutoff: dt.date, customer_ids: Sequence[int] | None) -> dict[str, object]:
    """The parameters of ``feature_facts`` for a cutoff (and customers)."""
    at = _midnight(cutoff)
    parameters: dict[str, object] = {
        "cutoff": cutoff,
        "at": at,
        "since_90d": at - dt.timedelta(days=90),
        "since_365d": at - dt.timedelta(days=365),
    }
    if customer_ids is not None:
        parameters["customer_ids"] = list(customer_ids)
    return parameters


@cache
def _snapshot_statement(by_id: bool) -> CompoundSelect:
    return union_all(*feature_facts(by_id=by_id))


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
    if customer_ids is not None and not customer_ids:
        return build_snapshot(cutoff, codes, [])
    rows = await connection.execute(
        _snapshot_statement(customer_ids is not None),
        feature_parameters(cutoff, customer_ids),
    )
    return build_snapshot(cutoff, codes, rows.all())


def build_snapshot(
    cutoff: dt.date,
    codes: tuple[str, ...],
    facts: Sequence[Any],
    *,
    only: Collection[int] | None = None,
) -> Snapshot:
    """The snapshot from the rows of ``feature_facts`` (rows of other kinds are skipped);
    ``only``: of these customers alone."""
    product_index = {code: i for i, code in enumerate(codes)}
    current = month_index(cutoff)
    customers = sorted(
        (f for f in facts if f[0] == "customer" and (only is None or f[1] in only)),
        key=lambda f: f[1],
    )
    row_of = {row.customer_id: i for i, row in enumerate(customers)}
    n = len(customers)

    held_months = np.full((n, len(codes)), -1, dtype=np.float32)
    enquiry_months = np.full((n, len(codes)), NO_ENQUIRY, dtype=np.float32)
    opened_last: dict[tuple[int, int], dt.date] = {}
    counts: dict[str, dict[int, int]] = {kind: {} for kind in ACTIVITY_COUNTS}
    # Unpacked by position (FACT_COLUMNS): a full snapshot has tens of thousands of facts.
    for kind, customer_id, text1, _, _, _, day1, _, number, _, _, at in facts:
        row = row_of.get(customer_id)
        if row is None:
            continue
        if kind == "held":
            column = product_index.get(text1)
            # The newest holding of a product counts, as if read oldest first.
            if column is not None and opened_last.get((row, column), day1) <= day1:
                opened_last[(row, column)] = day1
                held_months[row, column] = current - month_index(day1)
        elif kind == "enquiry":
            column = product_index.get(text1.removeprefix(ENQUIRY_PREFIX))
            if column is not None:
                enquiry_months[row, column] = current - month_index(at.date())
        elif kind in counts:
            counts[kind][customer_id] = number
    interactions, tickets, loyalty, warranties = (counts[kind] for kind in ACTIVITY_COUNTS)

    profile = np.zeros((n, len(PROFILE_FEATURES)), dtype=np.float32)
    for i, row in enumerate(customers):
        is_organisation = row.text1 == "organisation"
        profile[i] = (
            _age(row.day1, cutoff) if not is_organisation else -1,
            is_organisation,
            INCOME_LEVELS.index(row.text2) if row.text2 is not None else -1,
            SEGMENTS.index(row.text3) if row.text3 in SEGMENTS else -1,
            row.number or 1,
            max(current - month_index(row.day2), -1),
            cutoff.month,
            (held_months[i] >= 0).sum(),
            interactions.get(row.customer_id, 0),
            tickets.get(row.customer_id, 0),
            loyalty.get(row.customer_id, 0),
            warranties.get(row.customer_id, 0),
        )
    return Snapshot(
        cutoff=cutoff,
        customer_ids=np.array([row.customer_id for row in customers], dtype=np.int64),
        product_codes=codes,
        profile=profile,
        held_months=held_months,
        enquiry_months=enquiry_months,
        interests=tuple(frozenset(row.interests or ()) for row in customers),
        party_types=tuple(row.text1 for row in customers),
        income_bands=tuple(row.text2 for row in customers),
        segments=tuple(row.text3 for row in customers),
        statuses=tuple(row.text4 for row in customers),
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
