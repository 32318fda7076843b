"""Reads of customers, their contact points and attachments, by lists of ids.

Plain Core ``select()``s returning rows (no ORM identity map: the GraphQL layer reads
each row once). Callers own the connection and the transaction; nothing here commits.
Rows of a to-many relation come ordered by their parent id first, so that a loader can
group them in one pass. The statements loaders run on every request are built once
(values as bound parameters): building a ``select()`` costs more CPU than executing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Attachment, ContactPoint, Customer
from c360.customers.visibility import UNRESTRICTED, CustomerScope, visible_condition

customer: Table = Customer.__table__  # type: ignore[assignment]
contact_point: Table = ContactPoint.__table__  # type: ignore[assignment]
attachment: Table = Attachment.__table__  # type: ignore[assignment]


async def customers_by_ids(
    conn: AsyncConnection, ids: Sequence[int], *, scope: CustomerScope = UNRESTRICTED
) -> Sequence[Row[Any]]:
    """The customers among ``ids`` that ``scope`` may see."""
    return (await conn.execute(_customers_by_ids(scope), {"ids": list(ids)})).all()


@lru_cache(maxsize=256)  # one per scope in use (partners, branches, signed-in customers)
def _customers_by_ids(scope: CustomerScope) -> Select[Any]:
    stmt = select(customer).where(customer.c.id.in_(bindparam("ids", expanding=True)))
    visible = visible_condition(scope)
    if visible is not None:
        stmt = stmt.where(visible)
    return stmt


async def lock_customer(conn: AsyncConnection, customer_id: int) -> Row[Any] | None:
    """The customer's row, locked until the caller's write transaction ends.

    SQLite renders no ``FOR UPDATE``: there the write transaction's ``BEGIN IMMEDIATE``
    has locked the database already.
    """
    stmt = select(customer).where(customer.c.id == customer_id).with_for_update()
    return (await conn.execute(stmt)).one_or_none()


async def contact_points_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """Every contact point, current or not; per customer by kind, the primary one first."""
    return (await conn.execute(_contact_points(), {"ids": list(customer_ids)})).all()


@cache
def _contact_points() -> Select[Any]:
    return (
        select(contact_point)
        .where(contact_point.c.customer_id.in_(bindparam("ids", expanding=True)))
        .order_by(
            contact_point.c.customer_id,
            contact_point.c.kind,
            contact_point.c.is_primary.desc(),
            contact_point.c.id,
        )
    )


async def contact_points_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    result = await conn.execute(select(contact_point).where(contact_point.c.id.in_(ids)))
    return result.all()


async def attachments_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """Attachments per customer, newest first."""
    return (await conn.execute(_attachments(), {"ids": list(customer_ids)})).all()


@cache
def _attachments() -> Select[Any]:
    return (
        select(attachment)
        .where(attachment.c.customer_id.in_(bindparam("ids", expanding=True)))
        .order_by(attachment.c.customer_id, attachment.c.created_at.desc(), attachment.c.id.desc())
    )


async def attachments_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    result = await conn.execute(select(attachment).where(attachment.c.id.in_(ids)))
    return result.all()
