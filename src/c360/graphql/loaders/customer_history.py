"""Loaders of a customer's change history: pages newest first, and the count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers import history
from c360.customers.history import ChangePosition
from c360.graphql.loaders.base import DbLoader, ParentArgsLoader, group_by_parent


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A history(first:, after:) argument set; ``limit`` is one more than the page size."""

    limit: int
    after: ChangePosition | None


class CustomerChangesByCustomerIdLoader(ParentArgsLoader[HistoryPage, list[Row[Any]]]):
    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: HistoryPage
    ) -> list[list[Row[Any]]]:
        rows = await history.change_pages_by_customer_ids(
            conn, parent_ids, limit=args.limit, after=args.after
        )
        return group_by_parent(rows, parent_ids, "customer_id")


class CustomerChangeCountByCustomerIdLoader(DbLoader[int, int]):
    async def batch_load_fn(self, customer_ids: list[int]) -> list[int]:
        async with self.db.connect() as conn:
            counts = await history.change_counts_by_customer_ids(conn, customer_ids)
        return [counts.get(customer_id, 0) for customer_id in customer_ids]
