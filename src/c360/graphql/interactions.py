"""GraphQL types of interactions (a paged list per customer) and support tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.graphql.common import Node
from c360.graphql.enums import Channel, InteractionDirection, TicketPriority, TicketStatus
from c360.graphql.ids import encode_id
from c360.graphql.loaders import InteractionPage, Loaders
from c360.graphql.pagination import (
    Connection,
    build_connection,
    decode_position_cursor,
    encode_position_cursor,
    page_size,
)
from c360.graphql.permissions import requires

__all__ = [
    "Interaction",
    "SupportTicket",
    "interactions_of",
    "load_interaction",
    "load_support_ticket",
    "tickets_of",
]

_INTERACTION_CURSOR = "interactions"


@strawberry.type(
    directives=requires(Scope.INTERACTIONS_READ),
    description="One contact with the customer on one channel.",
)
class Interaction(Node):
    channel: Channel
    direction: InteractionDirection
    topic: str
    summary: str | None
    agent: str | None
    occurred_at: dt.datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> Interaction:
        return cls(
            id=strawberry.ID(encode_id("Interaction", row.id)),
            channel=row.channel,
            direction=row.direction,
            topic=row.topic,
            summary=row.summary,
            agent=row.agent,
            occurred_at=row.occurred_at,
        )


@strawberry.type(
    directives=requires(Scope.INTERACTIONS_READ),
    description="A request or problem that needed follow-up.",
)
class SupportTicket(Node):
    subject: str
    status: TicketStatus
    priority: TicketPriority
    channel: Channel | None
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> SupportTicket:
        return cls(
            id=strawberry.ID(encode_id("SupportTicket", row.id)),
            subject=row.subject,
            status=row.status,
            priority=row.priority,
            channel=row.channel,
            opened_at=row.opened_at,
            resolved_at=row.resolved_at,
            resolution=row.resolution,
        )


async def interactions_of(
    loaders: Loaders,
    customer_id: int,
    *,
    first: int | None,
    after: str | None,
    channel: Channel | None,
) -> Connection[Interaction]:
    limit = page_size(first)
    position = None if after is None else decode_position_cursor(_INTERACTION_CURSOR, after)
    page = InteractionPage(limit=limit + 1, after=position, channel=channel)
    rows = await loaders.interactions_by_customer_id.load((customer_id, page))

    async def count() -> int:
        stats = await loaders.interaction_stats_by_customer_id.load((customer_id, channel))
        return stats.count

    return build_connection(
        rows,
        limit=limit,
        node=Interaction.from_row,
        cursor=lambda row: encode_position_cursor(_INTERACTION_CURSOR, row.occurred_at, row.id),
        after=after,
        count=count,
    )


async def tickets_of(
    loaders: Loaders, customer_id: int, status: list[TicketStatus] | None
) -> list[SupportTicket]:
    statuses = None if status is None else frozenset(status)
    rows = await loaders.support_tickets_by_customer_id.load((customer_id, statuses))
    return [SupportTicket.from_row(row) for row in rows]


async def load_interaction(loaders: Loaders, pk: int) -> Interaction | None:
    row = await loaders.interaction_by_id.load(pk)
    return None if row is None else Interaction.from_row(row)


async def load_support_ticket(loaders: Loaders, pk: int) -> SupportTicket | None:
    row = await loaders.support_ticket_by_id.load(pk)
    return None if row is None else SupportTicket.from_row(row)
