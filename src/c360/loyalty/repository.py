"""Reads of loyalty accounts and their ledgers by lists of ids (rows, no commits).

An account row carries its program's and tier's columns (``program_*``, ``tier_*``) and
``program_top_rank``, the highest tier rank of its program, so that "is this the top
tier" needs no second query. Ledger pages are cut per account with a window function,
so a page of ledgers for any number of accounts is one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, and_, bindparam, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.database import UtcDateTime
from c360.loyalty.models import LoyaltyAccount, LoyaltyLedgerEntry, LoyaltyProgram, LoyaltyTier

account: Table = LoyaltyAccount.__table__  # type: ignore[assignment]
program: Table = LoyaltyProgram.__table__  # type: ignore[assignment]
tier: Table = LoyaltyTier.__table__  # type: ignore[assignment]
entry: Table = LoyaltyLedgerEntry.__table__  # type: ignore[assignment]

# A ledger position: (occurred_at, id) of the last entry a client has seen.
LedgerPosition = tuple[dt.datetime, int]


def _accounts_with_program_and_tier() -> Select[*tuple[Any, ...]]:
    top_tier = tier.alias("top_tier")
    top_rank = (
        select(func.max(top_tier.c.rank))
        .where(top_tier.c.program_id == account.c.program_id)
        .scalar_subquery()
    )
    return (
        select(
            account,
            program.c.code.label("program_code"),
            program.c.name.label("program_name"),
            program.c.points_validity_months.label("program_points_validity_months"),
            tier.c.code.label("tier_code"),
            tier.c.name.label("tier_name"),
            tier.c.rank.label("tier_rank"),
            tier.c.threshold_points.label("tier_threshold_points"),
            top_rank.label("program_top_rank"),
        )
        .join(program, program.c.id == account.c.program_id)
        .join(tier, tier.c.id == account.c.tier_id)
    )


async def accounts_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """Accounts per customer, earliest enrolment first."""
    return (await conn.execute(_accounts_by_customer(), {"ids": list(customer_ids)})).all()


@cache  # built once: building a select() costs more CPU than running it
def _accounts_by_customer() -> Select[Any]:
    return (
        _accounts_with_program_and_tier()
        .where(account.c.customer_id.in_(bindparam("ids", expanding=True)))
        .order_by(account.c.customer_id, account.c.enrolled_at, account.c.id)
    )


async def accounts_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    stmt = _accounts_with_program_and_tier().where(account.c.id.in_(ids))
    return (await conn.execute(stmt)).all()


async def ledger_pages_by_account_ids(
    conn: AsyncConnection,
    account_ids: Sequence[int],
    *,
    limit: int,
    after: LedgerPosition | None = None,
) -> Sequence[Row[Any]]:
    """Up to ``limit`` entries per account, newest first, after ``after`` when given."""
    position = func.row_number().over(
        partition_by=entry.c.account_id, order_by=(entry.c.occurred_at.desc(), entry.c.id.desc())
    )
    inner = select(entry, position.label("position")).where(entry.c.account_id.in_(account_ids))
    if after is not None:
        occurred_at, entry_id = after
        inner = inner.where(
            tuple_(entry.c.occurred_at, entry.c.id)
            < tuple_(literal(occurred_at, UtcDateTime()), literal(entry_id))
        )
    ranked = inner.subquery()
    stmt = (
        select(ranked)
        .where(ranked.c.position <= limit)
        .order_by(ranked.c.account_id, ranked.c.position)
    )
    return (await conn.execute(stmt)).all()


async def ledger_counts_by_account_ids(
    conn: AsyncConnection, account_ids: Sequence[int]
) -> dict[int, int]:
    """The number of ledger entries of each account that has any."""
    stmt = (
        select(entry.c.account_id, func.count())
        .where(entry.c.account_id.in_(account_ids))
        .group_by(entry.c.account_id)
    )
    return {account_id: count for account_id, count in (await conn.execute(stmt)).all()}


async def points_expiring_by_account_ids(
    conn: AsyncConnection, account_ids: Sequence[int], *, start: dt.datetime, end: dt.datetime
) -> dict[int, int]:
    """Points left on lots that expire in (start, end], per account that has any.

    Lots whose expiry has passed but that still show remaining points are excluded:
    they are waiting for the expiry run, and are no longer "expiring soon".
    """
    params = {"ids": list(account_ids), "start": start, "end": end}
    rows = (await conn.execute(_points_expiring(), params)).all()
    return {account_id: int(points) for account_id, points in rows}


@cache
def _points_expiring() -> Select[Any]:
    return (
        select(entry.c.account_id, func.sum(entry.c.remaining_points))
        .where(
            entry.c.account_id.in_(bindparam("ids", expanding=True)),
            entry.c.remaining_points > 0,
            entry.c.expires_at > bindparam("start"),
            entry.c.expires_at <= bindparam("end"),
        )
        .group_by(entry.c.account_id)
    )


async def points_expiring_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int], *, start: dt.datetime, end: dt.datetime
) -> Sequence[Row[Any]]:
    """``points_expiring_by_account_ids`` for every account of the customers:
    (``account_id``, ``points``) rows, 0 points for an account with none expiring."""
    params = {"ids": list(customer_ids), "start": start, "end": end}
    return (await conn.execute(_points_expiring_by_customer(), params)).all()


@cache
def _points_expiring_by_customer() -> Select[Any]:
    expiring = and_(
        entry.c.account_id == account.c.id,
        entry.c.remaining_points > 0,
        entry.c.expires_at > bindparam("start"),
        entry.c.expires_at <= bindparam("end"),
    )
    return (
        select(
            account.c.id.label("account_id"),
            func.coalesce(func.sum(entry.c.remaining_points), 0).label("points"),
        )
        .select_from(account.outerjoin(entry, expiring))
        .where(account.c.customer_id.in_(bindparam("ids", expanding=True)))
        .group_by(account.c.id)
    )


async def ledger_entries_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    result = await conn.execute(select(entry).where(entry.c.id.in_(ids)))
    return result.all()
