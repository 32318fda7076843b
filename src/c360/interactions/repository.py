"""Reads of interactions and support tickets by lists of ids (rows, no commits).

Interaction pages are cut per customer with a window function, so one page of
interactions for any number of customers is one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, func, select, tuple_
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
    params: dict[str, Any] = {"ids": list(customer_ids), "limit": limit}
    if channel is not None:
        params["channel"] = channel
    if after is not None:
        params["after_at"], params["after_id"] = after
    stmt = _interaction_pages(channel is not None, after is not None)
    return (await conn.execute(stmt, params)).all()


@cache  # built once per shape: building a select() costs more CPU than running it
def _interaction_pages(by_channel: bool, after: bool) -> Select[Any]:
    position = func.row_number().over(
        partition_by=interaction.c.customer_id,
        order_by=(interaction.c.occurred_at.desc(), interaction.c.id.desc()),
    )
    inner = select(interaction, position.label("position")).where(
        interaction.c.customer_id.in_(bindparam("ids", expanding=True))
    )
    if by_channel:
        inner = inner.where(interaction.c.channel == bindparam("channel"))
    if after:
        inner = inner.where(
            tuple_(interaction.c.occurred_at, interaction.c.id)
            < tuple_(
                bindparam("after_at", type_=UtcDateTime()),
                bindparam("after_id", type_=interaction.c.id.type),
            )
        )
    ranked = inner.subquery()
    return (
        select(ranked)
        .where(ranked.c.position <= bindparam("limit"))
        .order_by(ranked.c.customer_id, ranked.c.position)
    )


async def interaction_stats_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int], *, channel: Channel | None = None
) -> dict[int, InteractionStats]:
    """How many interactions each customer had (on ``channel``), and when the last one was."""
    params: dict[str, Any] = {"ids": list(customer_ids)}
    if channel is not None:
        params["channel"] = channel
    rows = (await conn.execute(_interaction_stats(channel is not None), params)).all()
    return {
        customer_id: InteractionStats(count=count, last_at=last_at)
        for customer_id, count, last_at in rows
    }


@cache
def _interaction_stats(by_channel: bool) -> Select[Any]:
    stmt = select(
        interaction.c.customer_id, func.count(), func.max(interaction.c.occurred_at)
    ).where(interaction.c.customer_id.in_(bindparam("ids", expanding=True)))
    if by_channel:
        stmt = stmt.where(interaction.c.channel == bindparam("channel"))
    return stmt.group_by(interaction.c.customer_id)


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
    params: dict[str, Any] = {"ids": list(customer_ids)}
    if statuses is not None:
        params["statuses"] = sorted(statuses)
    return (await conn.execute(_tickets(statuses is not None), params)).all()


@cache
def _tickets(by_status: bool) -> Select[Any]:
    stmt = select(ticket).where(ticket.c.customer_id.in_(bindparam("ids", expanding=True)))
    if by_status:
        stmt = stmt.where(ticket.c.status.in_(bindparam("statuses", expanding=True)))
    return stmt.order_by(ticket.c.customer_id, ticket.c.opened_at.desc(), ticket.c.id.desc())


async def tickets_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    return (await conn.execute(select(ticket).where(ticket.c.id.in_(ids)))).all()
