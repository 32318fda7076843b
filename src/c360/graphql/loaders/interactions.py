"""Loaders of interactions (paged per customer, with counts) and support tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Channel
from c360.graphql.loaders.base import ByIdLoader, ParentArgsLoader, group_by_parent
from c360.interactions import repository
from c360.interactions.models import TicketStatus
from c360.interactions.repository import InteractionPosition, InteractionStats

NO_INTERACTIONS = InteractionStats(count=0, last_at=None)

# A tickets(status:) argument: None for every status.
TicketStatusSet = frozenset[TicketStatus] | None


@dataclass(frozen=True, slots=True)
class InteractionPage:
    """An interactions(first:, after:, channel:) argument set; ``limit`` is page size + 1."""

    limit: int
    after: InteractionPosition | None
    channel: Channel | None


class InteractionsByCustomerIdLoader(ParentArgsLoader[InteractionPage, list[Row[Any]]]):
    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: InteractionPage
    ) -> list[list[Row[Any]]]:
        rows = await repository.interaction_pages_by_customer_ids(
            conn, parent_ids, limit=args.limit, after=args.after, channel=args.channel
        )
        return group_by_parent(rows, parent_ids, "customer_id")


class InteractionStatsByCustomerIdLoader(ParentArgsLoader[Channel | None, InteractionStats]):
    """Count and latest time of a customer's interactions (on one channel, or all)."""

    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: Channel | None
    ) -> list[InteractionStats]:
        stats = await repository.interaction_stats_by_customer_ids(conn, parent_ids, channel=args)
        return [stats.get(parent_id, NO_INTERACTIONS) for parent_id in parent_ids]


class InteractionByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.interactions_by_ids)


class SupportTicketsByCustomerIdLoader(ParentArgsLoader[TicketStatusSet, list[Row[Any]]]):
    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: TicketStatusSet
    ) -> list[list[Row[Any]]]:
        rows = await repository.tickets_by_customer_ids(conn, parent_ids, statuses=args)
        return group_by_parent(rows, parent_ids, "customer_id")


class SupportTicketByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.tickets_by_ids)
