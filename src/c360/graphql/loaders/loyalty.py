"""Loaders of loyalty accounts (with program and tier columns) and their ledgers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.graphql.db import RequestDatabase
from c360.graphql.loaders.base import (
    ByIdLoader,
    ByParentIdLoader,
    DbLoader,
    ParentArgsLoader,
    group_by_parent,
)
from c360.loyalty import repository
from c360.loyalty.repository import LedgerPosition


@dataclass(frozen=True, slots=True)
class LedgerPage:
    """A ledger(first:, after:) argument set; ``limit`` is one more than the page size."""

    limit: int
    after: LedgerPosition | None


class LoyaltyAccountsByCustomerIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.accounts_by_customer_ids)


class LoyaltyAccountByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.accounts_by_ids)


class LedgerEntriesByAccountIdLoader(ParentArgsLoader[LedgerPage, list[Row[Any]]]):
    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: LedgerPage
    ) -> list[list[Row[Any]]]:
        rows = await repository.ledger_pages_by_account_ids(
            conn, parent_ids, limit=args.limit, after=args.after
        )
        return group_by_parent(rows, parent_ids, "account_id")


class LedgerEntryCountByAccountIdLoader(DbLoader[int, int]):
    async def batch_load_fn(self, account_ids: list[int]) -> list[int]:
        async with self.db.connect() as conn:
            counts = await repository.ledger_counts_by_account_ids(conn, account_ids)
        return [counts.get(account_id, 0) for account_id in account_ids]


class PointsExpiringSoonByAccountIdLoader(DbLoader[int, int]):
    """Points expiring in (now, now + window]: the same window for a whole request."""

    def __init__(self, db: RequestDatabase, *, now: dt.datetime, window: dt.timedelta) -> None:
        super().__init__(db)
        self.start = now
        self.end = now + window

    async def batch_load_fn(self, account_ids: list[int]) -> list[int]:
        async with self.db.connect() as conn:
            points = await repository.points_expiring_by_account_ids(
                conn, account_ids, start=self.start, end=self.end
            )
        return [points.get(account_id, 0) for account_id in account_ids]


class PointsExpiringSoonByCustomerIdLoader(DbLoader[int, None]):
    """Fills ``points_expiring_by_account_id`` for every account of the customers (the
    same window), so that the teller's summary needs no statement of its own for them
    (``compiled.prefetch``). Its own values are None."""

    def __init__(self, points_by_account_id: PointsExpiringSoonByAccountIdLoader) -> None:
        super().__init__(points_by_account_id.db)
        self.points_by_account_id = points_by_account_id

    async def batch_load_fn(self, customer_ids: list[int]) -> list[None]:
        loader = self.points_by_account_id
        async with self.db.connect() as conn:
            rows = await repository.points_expiring_by_customer_ids(
                conn, customer_ids, start=loader.start, end=loader.end
            )
        for row in rows:
            loader.prime(row.account_id, int(row.points))
        return [None] * len(customer_ids)


class LedgerEntryByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.ledger_entries_by_ids)
