"""Loaders of the access log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.audit import repository
from c360.graphql.loaders.base import DbLoader, ParentArgsLoader, group_by_parent


@dataclass(frozen=True, slots=True)
class AccessLogPage:
    """An accessLog(first:, after:) argument set; ``limit`` is one more than the page size."""

    limit: int
    before_id: int | None


class AccessLogByCustomerIdLoader(ParentArgsLoader[AccessLogPage, list[Row[Any]]]):
    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: AccessLogPage
    ) -> list[list[Row[Any]]]:
        rows = await repository.entries_by_customer_ids(
            conn, parent_ids, limit=args.limit, before_id=args.before_id
        )
        return group_by_parent(rows, parent_ids, "customer_id")


class AccessLogCountByCustomerIdLoader(DbLoader[int, int]):
    async def batch_load_fn(self, customer_ids: list[int]) -> list[int]:
        async with self.db.connect() as conn:
            counts = await repository.entry_counts_by_customer_ids(conn, customer_ids)
        return [counts.get(customer_id, 0) for customer_id in customer_ids]
