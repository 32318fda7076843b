"""Loyalty test helpers: members with accounts and lots, and the ledger invariant.

A module takes a database of its own and a ``Members`` over it; every test makes its
own members, so tests never share an account.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from factories import Rows

# The GraphQL test client lives beside the GraphQL tests; pytest puts that folder on the
# path only when it collects a test there, so a run of tests/loyalty alone needs this.
sys.path.append(str(Path(__file__).resolve().parents[1] / "graphql"))
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.graphql.ids import encode_id
from c360.loyalty.models import LoyaltyAccount, LoyaltyLedgerEntry

account = LoyaltyAccount.__table__
entry = LoyaltyLedgerEntry.__table__

# Tier thresholds of the test program: BRONZE 0, SILVER 3000, GOLD 6000.
TIERS = ("BRONZE", "SILVER", "GOLD")


@dataclass(frozen=True)
class Member:
    customer_id: int
    account_id: int
    lot_ids: tuple[int, ...]

    @property
    def gid(self) -> str:
        return encode_id("Customer", self.customer_id)

    def lot_gid(self, index: int) -> str:
        return encode_id("LedgerEntry", self.lot_ids[index])


class Members:
    """Builds members of one program (with the three tiers) in one database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.rows = Rows()
        self.now = self.rows.now
        self.program_id = self.rows.program()
        self.tier_ids = {
            code: self.rows.tier(self.program_id, code, rank) for rank, code in enumerate(TIERS)
        }
        self._program_inserted = False

    async def new(
        self,
        lots: tuple[tuple[int, int], ...] = (),
        *,
        with_account: bool = True,
        **account_overrides: Any,
    ) -> Member:
        """A customer with an account holding ``lots``: (points, age in days), expiring
        after 365 days (so a lot older than that is expired but not yet booked)."""
        rows = self.rows
        customer_id = rows.customer()
        account_id = 0
        total = sum(points for points, _ in lots)
        if with_account:
            account_id = rows.loyalty_account(
                customer_id,
                self.program_id,
                self.tier_ids["BRONZE"],
                points_balance=total,
                lifetime_points=total,
                **account_overrides,
            )
        await rows.insert(self.engine)
        # Lots take database-made ids, as the service's entries do (explicit ids would
        # leave PostgreSQL's sequence behind and collide with them).
        lot_ids: list[int] = []
        async with self.engine.begin() as conn:
            for points, age_days in lots:
                occurred_at = self.now - dt.timedelta(days=age_days)
                values = {
                    "account_id": account_id,
                    "customer_id": customer_id,
                    "kind": "earn",
                    "points": points,
                    "remaining_points": points,
                    "occurred_at": occurred_at,
                    "expires_at": occurred_at + dt.timedelta(days=365),
                    "reason": "purchase",
                    "idempotency_key": f"seed-{len(lot_ids)}",
                    "created_at": occurred_at,
                }
                stmt = insert(entry).values(values).returning(entry.c.id)
                lot_ids.append(int(await conn.scalar(stmt)))
        return Member(customer_id, account_id, tuple(lot_ids))


async def ledger(engine: AsyncEngine, account_id: int) -> list[Any]:
    async with engine.connect() as conn:
        stmt = select(entry).where(entry.c.account_id == account_id).order_by(entry.c.id)
        return list((await conn.execute(stmt)).all())


async def account_row(engine: AsyncEngine, account_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(account).where(account.c.id == account_id))).one()


async def assert_ledger_exact(engine: AsyncEngine, account_id: int) -> int:
    """balance == sum(points) == sum(remaining), no lot negative or above its points."""
    async with engine.connect() as conn:
        points, remaining, bad_lots = (
            await conn.execute(
                select(
                    func.coalesce(func.sum(entry.c.points), 0),
                    func.coalesce(func.sum(entry.c.remaining_points), 0),
                    func.count().filter(
                        (entry.c.remaining_points < 0) | (entry.c.remaining_points > entry.c.points)
                    ),
                ).where(entry.c.account_id == account_id)
            )
        ).one()
        balance = await conn.scalar(
            select(account.c.points_balance).where(account.c.id == account_id)
        )
    assert (balance, remaining, bad_lots) == (points, points, 0)
    assert balance >= 0
    return int(balance)
