"""The change history of customer profiles and contact points: one row per changed field.

Rows are written by ``c360.customers.service`` in the same transaction as the change
they describe, so a change without its history (or the reverse) never exists. Values
are stored as text, the way the API shows them: enums by name (``AFFLUENT``), dates in
ISO format, lists as JSON. A national id appears only as ``***`` and its last four
characters: the history is read in clear (with ``customer:pii``), so it must hold
nothing the profile itself would not show.

Each change is also published for live updates (``publish_change``), with the names of
the changed fields only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import (
    ForeignKey,
    Index,
    Row,
    String,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from c360 import events
from c360.database import Base, IdType, UtcDateTime, int_pk

__all__ = [
    "Author",
    "ChangePosition",
    "CustomerChange",
    "FieldChange",
    "api_name",
    "change_counts_by_customer_ids",
    "change_pages_by_customer_ids",
    "history_value",
    "masked_national_id",
    "publish_change",
    "record_changes",
]

# A position in a customer's history: (changed_at, id) of the last row a client has seen.
ChangePosition = tuple[dt.datetime, int]


class CustomerChange(Base):
    __tablename__ = "customer_change"
    # Newest first per customer is the only way the history is read.
    __table_args__ = (Index(None, "customer_id", "changed_at", "id"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"))
    # Set when the change is to a contact point; no foreign key, because the history of
    # a removed contact point outlives it.
    contact_point_id: Mapped[int | None] = mapped_column(IdType)
    # The API name of the field: "familyName", or "value" of the contact point above.
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    # Who: the principal's subject ("anonymous" without one). Via: the mutation or the
    # source system that made the change.
    actor: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


customer_change: Table = CustomerChange.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Author:
    """Who makes a change (a principal's subject) and through what (a mutation or a system)."""

    actor: str
    via: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's change, values already in their history form (see ``history_value``)."""

    field: str
    old_value: str | None
    new_value: str | None
    contact_point_id: int | None = None


def history_value(value: Any) -> str | None:
    """A column value as the history stores it."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    return str(value)


def api_name(column: str) -> str:
    """The API's name of a field: ``family_name`` -> ``familyName``."""
    head, *rest = column.split("_")
    return head + "".join(part.title() for part in rest)


def masked_national_id(last4: str | None) -> str | None:
    return None if last4 is None else f"***{last4}"


async def record_changes(
    conn: AsyncConnection,
    customer_id: int,
    changes: Sequence[FieldChange],
    *,
    author: Author,
    at: dt.datetime,
) -> None:
    """Insert one history row per change, in the caller's transaction (one statement)."""
    if not changes:
        return
    rows = [
        {
            "customer_id": customer_id,
            "contact_point_id": change.contact_point_id,
            "field": change.field,
            "old_value": change.old_value,
            "new_value": change.new_value,
            "actor": author.actor,
            "via": author.via,
            "changed_at": at,
        }
        for change in changes
    ]
    await conn.execute(insert(customer_change), rows)


async def publish_change(
    conn: AsyncConnection,
    *,
    kind: events.EventKind,
    customer_id: int,
    entity_type: str,
    entity_id: int,
    fields: Iterable[str],
    at: dt.datetime,
) -> None:
    """Publish a change to a customer or one of its contact points, in the caller's
    transaction, naming the changed fields (API names, each once).

    Names only, never values: an event goes to every worker process and every subscriber
    of the customer, while a value must reach only a reader allowed to see it (names and
    contacts need ``customer:pii``), who loads it through the API.
    """
    event = events.CustomerEvent(
        customer_id=customer_id,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        occurred_at=at,
        data={"fields": list(dict.fromkeys(fields))},
    )
    await events.publish(conn, event)


async def change_pages_by_customer_ids(
    conn: AsyncConnection,
    customer_ids: Sequence[int],
    *,
    limit: int,
    after: ChangePosition | None = None,
) -> Sequence[Row[Any]]:
    """Up to ``limit`` changes per customer, newest first (the later-written first on a tie)."""
    position = func.row_number().over(
        partition_by=customer_change.c.customer_id,
        order_by=(customer_change.c.changed_at.desc(), customer_change.c.id.desc()),
    )
    inner = select(customer_change, position.label("position")).where(
        customer_change.c.customer_id.in_(customer_ids)
    )
    if after is not None:
        changed_at, change_id = after
        inner = inner.where(
            tuple_(customer_change.c.changed_at, customer_change.c.id)
            < tuple_(literal(changed_at, UtcDateTime()), literal(change_id))
        )
    ranked = inner.subquery()
    stmt = (
        select(ranked)
        .where(ranked.c.position <= limit)
        .order_by(ranked.c.customer_id, ranked.c.position)
    )
    return (await conn.execute(stmt)).all()


async def change_counts_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> dict[int, int]:
    stmt = (
        select(customer_change.c.customer_id, func.count())
        .where(customer_change.c.customer_id.in_(customer_ids))
        .group_by(customer_change.c.customer_id)
    )
    return {customer_id: count for customer_id, count in (await conn.execute(stmt)).all()}
