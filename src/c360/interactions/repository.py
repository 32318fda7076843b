"""Reads of interactions and support tickets by lists of ids (rows, no commits).

Interaction pages are cut per customer with a window function, so one page of
interactions for any number of customers is one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Channel
from c360.database import UtcDateTime
from c360.interactions.models import Interaction, SupportTicket, TicketStatus

interaction: Table = Interaction.__table__  # type: ignore[assignment]
ticket: Table = SupportTicket.__table__  # type: ignore[assignment]

# A ticket still needs work while it is open or waiting on someone (pending).
OPEN_TICKET_STATUSES: frozenset[TicketStatus] = frozenset({TicketStatus.OPEN, TicketStatus.PENDING})

# An interaction position: (occurred_at, id) of the last one a client has seen.
InteractionPosition = tuple[dt.datetime, int]


@dataclass(frozen=True, slots=True)
class InteractionStats:
    count: int
    last_at: dt.datetime | None


async def interaction_pages_by_customer_ids(
    conn: AsyncConnection,
    customer_ids: Sequence[int],
    *,
    limit: int,
    after: InteractionPosition | None = None,
    channel: Channel | None = None,
) -> Sequence[Row[Any]]:
    """Up to ``limit`` interactions per customer, newest first."""
    position = func.row_number().over(
        partition_by=interaction.c.customer_id,
        order_by=(interaction.c.occurred_at.desc(), interaction.c.id.desc()),
    )
    inner = select(interaction, position.label("position")).where(
        interaction.c.customer_id.in_(customer_ids)
    )
    if channel is not None:
        inner = inner.where(interaction.c.channel == channel)
    if after is not None:
        occurred_at, interaction_id = after
        inner = inner.where(
            tuple_(interaction.c.occurred_at, interaction.c.id)
            < tuple_(literal(occurred_at, UtcDateTime()), literal(interaction_id))
        )
    ranked = inner.subquery()
    stmt = (
        select(ranked)
        .where(ranked.c.position <= limit)
        .order_by(ranked.c.customer_id, ranked.c.position)
    )
    return (await conn.execute(stmt)).all()


async def interaction_stats_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int], *, channel: Channel | None = None
) -> dict[int, InteractionStats]:
    """How many interactions each customer had (on ``channel``), and when the last one was."""
    stmt = select(
        interaction.c.customer_id, func.count(), func.max(interaction.c.occurred_at)
    ).where(interaction.c.customer_id.in_(customer_ids))
    if channel is not None:
        stmt = stmt.where(interaction.c.channel == channel)
    stmt = stmt.group_by(interaction.c.customer_id)
    rows = (await conn.execute(stmt)).all()
    return {
        customer_id: InteractionStats(count=count, last_at=last_at)
        for customer_id, count, last_at in rows
    }


async def interactions_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    result = await conn.execute(select(interaction).where(interaction.c.id.in_(ids)))
    return result.all()


async def tickets_by_customer_ids(
    conn: AsyncConnection,
    customer_ids: Sequence[int],
    *,
    statuses: Collection[TicketStatus] | None = None,
) -> Sequence[Row[Any]]:
    """Tickets per customer, the latest opened first; only those in ``statuses`` when given."""
    stmt = select(ticket).where(ticket.c.customer_id.in_(customer_ids))
    if statuses is not None:
        stmt = stmt.where(ticket.c.status.in_(sorted(statuses)))
    stmt = stmt.order_by(ticket.c.customer_id, ticket.c.opened_at.desc(), ticket.c.id.desc())
    return (await conn.execute(stmt)).all()


async def tickets_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    return (await conn.execute(select(ticket).where(ticket.c.id.in_(ids)))).all()
