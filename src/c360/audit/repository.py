"""Reads of the access log, newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Row, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.audit.models import AccessLogEntry
from c360.consent.models import Partner

__all__ = [
    "access_log",
    "entries_by_customer_ids",
    "entry_counts_by_customer_ids",
    "stream_entries",
]

access_log: Table = AccessLogEntry.__table__  # type: ignore[assignment]
partner: Table = Partner.__table__  # type: ignore[assignment]


async def entries_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int], *, limit: int, before_id: int | None
) -> Sequence[Row[Any]]:
    """Up to ``limit`` entries per customer, newest first, older than ``before_id`` if given."""
    position = func.row_number().over(
        partition_by=access_log.c.customer_id, order_by=access_log.c.id.desc()
    )
    inner = select(access_log, position.label("position")).where(
        access_log.c.customer_id.in_(customer_ids)
    )
    if before_id is not None:
        inner = inner.where(access_log.c.id < before_id)
    ranked = inner.subquery()
    stmt = (
        select(ranked, partner.c.code.label("partner_code"))
        .outerjoin(partner, partner.c.id == ranked.c.partner_id)
        .where(ranked.c.position <= limit)
        .order_by(ranked.c.customer_id, ranked.c.position)
    )
    return (await conn.execute(stmt)).all()


async def entry_counts_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> dict[int, int]:
    stmt = (
        select(access_log.c.customer_id, func.count())
        .where(access_log.c.customer_id.in_(customer_ids))
        .group_by(access_log.c.customer_id)
    )
    return {customer_id: count for customer_id, count in (await conn.execute(stmt)).all()}


async def stream_entries(conn: AsyncConnection, customer_id: int) -> AsyncIterator[Row[Any]]:
    """Every entry of one customer, oldest first, without holding them all in memory."""
    stmt = (
        select(access_log)
        .where(access_log.c.customer_id == customer_id)
        .order_by(access_log.c.id)
        .execution_options(yield_per=1000)
    )
    result = await conn.stream(stmt)
    async for row in result:
        yield row
