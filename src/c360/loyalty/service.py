"""Writes to the points ledger: earn, redeem, adjust, reverse, expire. Each is one transaction.

Rules, on top of the ledger invariant in ``c360.loyalty.models``:

- Concurrency: a write locks its account first (``SELECT ... FOR UPDATE`` on PostgreSQL;
  ``BEGIN IMMEDIATE`` on SQLite, where a second writer waits on ``busy_timeout`` instead
  of failing), so the balance it checks is the balance it changes.
- Idempotency: ``(account, idempotency_key)`` is unique. A retry with the same key returns
  the original entry (``replayed=True``) and books nothing; the same key with a different
  request is refused. Keys starting with ``c360:`` are reserved for the system (expiries).
- Redemptions and negative adjustments consume available lots oldest first (by
  ``occurred_at``); a lot past ``expires_at`` is no longer available even before the
  expiry run has booked it.
- Reversing an earn reverses what is left of that lot (points already redeemed stay
  redeemed); reversing a redemption restores its points as a new lot (kind ``reversal``)
  valid for the program's validity period from now. Adjustments, expiries and reversals
  are not reversible: book an adjustment instead.
- Live updates: every booked entry (expiries included) publishes a ``CustomerEvent``
  inside its transaction (``c360.events``); a replay books nothing and publishes nothing.
- ``lifetime_points`` counts earned points net of reversed earns; the tier is the highest
  whose threshold the points earned in the last 12 months reach (as ``c360.demo`` does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360 import events
from c360.customers.models import Customer
from c360.loyalty import repository
from c360.loyalty.errors import LoyaltyError, LoyaltyErrorCode
from c360.loyalty.models import LedgerEntryKind, LoyaltyAccountStatus
from c360.loyalty.validation import (
    MAX_POINTS,
    SYSTEM_KEY_PREFIX,
    check_balance,
    check_points,
    check_text,
    check_time,
    now_or,
)
from c360.transactions import write_transaction

__all__ = [
    "MAX_POINTS",
    "ExpiryReport",
    "PointsResult",
    "adjust_points",
    "earn_points",
    "expire_points",
    "redeem_points",
    "reverse_entry",
]

QUALIFYING_MONTHS = 12

account: Table = repository.account
entry: Table = repository.entry
tier: Table = repository.tier
program: Table = repository.program
customer: Table = Customer.__table__  # type: ignore[assignment]

Code = LoyaltyErrorCode


@dataclass(frozen=True, slots=True)
class PointsResult:
    """The booked (or, on a replay, the original) entry and the account as it is now."""

    entry: Row[Any]
    account: Row[Any]  # repository shape: with program_* and tier_* columns
    replayed: bool


@dataclass(frozen=True, slots=True)
class ExpiryReport:
    accounts: int
    entries: int
    points: int


@dataclass(frozen=True, slots=True)
class _Request:
    customer_id: int
    program_code: str | None
    idempotency_key: str
    kind: LedgerEntryKind
    points: int | None  # the signed points the entry will carry (None: decided by the booking)
    reverses_entry_id: int | None = None


_Booking = Callable[[AsyncConnection, Row[Any]], Awaitable[int]]


# public operations -------------------------------------------------------------------


async def earn_points(
    engine: AsyncEngine,
    *,
    customer_id: int,
    points: int,
    reason: str,
    idempotency_key: str,
    program_code: str | None = None,
    source_ref: str | None = None,
    occurred_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> PointsResult:
    """Book a new lot; it expires ``points_validity_months`` after ``occurred_at`` by default."""
    now = now_or(now)
    check_points(points)
    check_text(reason=reason, idempotency_key=idempotency_key, source_ref=source_ref)
    occurred_at = check_time("occurred_at", occurred_at or now)
    if occurred_at > now:
        raise LoyaltyError(Code.INVALID_INPUT, "occurredAt is in the future", field="occurred_at")
    if expires_at is not None and check_time("expires_at", expires_at) <= occurred_at:
        raise LoyaltyError(
            Code.INVALID_INPUT, "expiresAt must be after occurredAt", field="expires_at"
        )

    async def book(conn: AsyncConnection, acc: Row[Any]) -> int:
        check_balance(acc, points)
        expiry = expires_at or add_months(occurred_at, acc.validity_months)
        entry_id = await _insert_entry(
            conn,
            acc,
            LedgerEntryKind.EARN,
            points,
            reason=reason,
            key=idempotency_key,
            now=now,
            occurred_at=occurred_at,
            expires_at=expiry,
            source_ref=source_ref,
        )
        await _update_account(conn, acc, now=now, balance=points, lifetime=points)
        return entry_id

    request = _Request(customer_id, program_code, idempotency_key, LedgerEntryKind.EARN, points)
    return await _write(engine, request, book)


async def redeem_points(
    engine: AsyncEngine,
    *,
    customer_id: int,
    points: int,
    reason: str,
    idempotency_key: str,
    program_code: str | None = None,
    source_ref: str | None = None,
    now: dt.datetime | None = None,
) -> PointsResult:
    """Spend ``points`` from the available lots, oldest first; never below zero."""
    now = now_or(now)
    check_points(points)
    check_text(reason=reason, idempotency_key=idempotency_key, source_ref=source_ref)

    async def book(conn: AsyncConnection, acc: Row[Any]) -> int:
        await _consume_lots(conn, acc.id, points, now=now)
        entry_id = await _insert_entry(
            conn,
            acc,
            LedgerEntryKind.REDEEM,
            -points,
            reason=reason,
            key=idempotency_key,
            now=now,
            source_ref=source_ref,
        )
        await _update_account(conn, acc, now=now, balance=-points)
        return entry_id

    request = _Request(customer_id, program_code, idempotency_key, LedgerEntryKind.REDEEM, -points)
    return await _write(engine, request, book)


async def adjust_points(
    engine: AsyncEngine,
    *,
    customer_id: int,
    points: int,
    reason: str,
    idempotency_key: str,
    program_code: str | None = None,
    now: dt.datetime | None = None,
) -> PointsResult:
    """A signed correction: positive books a lot, negative consumes lots like a redemption.

    Adjustments change the balance only: not ``lifetime_points``, not the tier's count.
    """
    now = now_or(now)
    check_points(abs(points), field="points")
    check_text(reason=reason, idempotency_key=idempotency_key)

    async def book(conn: AsyncConnection, acc: Row[Any]) -> int:
        if points > 0:
            check_balance(acc, points)
            expiry: dt.datetime | None = add_months(now, acc.validity_months)
        else:
            await _consume_lots(conn, acc.id, -points, now=now)
            expiry = None
        entry_id = await _insert_entry(
            conn,
            acc,
            LedgerEntryKind.ADJUST,
            points,
            reason=reason,
            key=idempotency_key,
            now=now,
            expires_at=expiry,
        )
        await _update_account(conn, acc, now=now, balance=points)
        return entry_id

    request = _Request(customer_id, program_code, idempotency_key, LedgerEntryKind.ADJUST, points)
    return await _write(engine, request, book)


async def reverse_entry(
    engine: AsyncEngine,
    *,
    customer_id: int,
    entry_id: int,
    reason: str,
    idempotency_key: str,
    now: dt.datetime | None = None,
) -> PointsResult:
    """Undo an earn (what is left of its lot) or a redemption (its points, as a new lot)."""
    now = now_or(now)
    check_text(reason=reason, idempotency_key=idempotency_key)

    async def book(conn: AsyncConnection, acc: Row[Any]) -> int:
        original = await _reversible_entry(conn, acc, entry_id)
        if original.kind == LedgerEntryKind.EARN:
            points = -int(original.remaining_points or 0)
            if points == 0:
                raise LoyaltyError(
                    Code.ENTRY_NOT_REVERSIBLE,
                    "nothing is left of this lot to reverse: it was redeemed or expired",
                    field="entry_id",
                )
            await conn.execute(
                update(entry).where(entry.c.id == original.id).values(remaining_points=0)
            )
            expiry: dt.datetime | None = None
            lifetime = points
        else:
            points = -original.points
            check_balance(acc, points)
            expiry, lifetime = add_months(now, acc.validity_months), 0
        new_id = await _insert_entry(
            conn,
            acc,
            LedgerEntryKind.REVERSAL,
            points,
            reason=reason,
            key=idempotency_key,
            now=now,
            expires_at=expiry,
            reverses_entry_id=original.id,
        )
        await _update_account(conn, acc, now=now, balance=points, lifetime=lifetime)
        return new_id

    request = _Request(customer_id, None, idempotency_key, LedgerEntryKind.REVERSAL, None, entry_id)
    return await _write(engine, request, book)


async def expire_points(engine: AsyncEngine, *, now: dt.datetime) -> ExpiryReport:
    """Book an expiry for what is left of every lot past ``expires_at``: one transaction
    per account, so a long run never holds many locks. Running it twice books nothing new."""
    now = check_time("now", now)
    due = select(entry.c.account_id).where(entry.c.remaining_points > 0, entry.c.expires_at <= now)
    async with engine.connect() as conn:
        account_ids = (await conn.scalars(due.distinct().order_by(entry.c.account_id))).all()
    entries = points = accounts = 0
    for account_id in account_ids:
        booked, expired = await _expire_account(engine, account_id, now=now)
        accounts += booked > 0
        entries += booked
        points += expired
    return ExpiryReport(accounts=accounts, entries=entries, points=points)


async def _expire_account(
    engine: AsyncEngine, account_id: int, *, now: dt.datetime
) -> tuple[int, int]:
    async with write_transaction(engine) as conn:
        acc = await _lock(conn, account.c.id == account_id)
        lots = (
            await conn.execute(
                select(entry.c.id, entry.c.remaining_points, entry.c.expires_at)
                .where(
                    entry.c.account_id == account_id,
                    entry.c.remaining_points > 0,
                    entry.c.expires_at <= now,
                )
                .order_by(entry.c.occurred_at, entry.c.id)
            )
        ).all()
        expiries: list[tuple[int, int]] = []  # (entry id, points)
        for lot in lots:
            await conn.execute(update(entry).where(entry.c.id == lot.id).values(remaining_points=0))
            expiry_id = await _insert_entry(
                conn,
                acc,
                LedgerEntryKind.EXPIRE,
                -lot.remaining_points,
                reason="points expired",
                key=f"{SYSTEM_KEY_PREFIX}expire:{lot.id}",
                now=now,
                occurred_at=lot.expires_at,
            )
            expiries.append((expiry_id, -lot.remaining_points))
        expired = sum(lot.remaining_points for lot in lots)
        if lots:
            await _update_account(conn, acc, now=now, balance=-expired)
            for expiry_id, points in expiries:
                await _publish(
                    conn,
                    customer_id=acc.customer_id,
                    kind=LedgerEntryKind.EXPIRE,
                    entry_id=expiry_id,
                    points=points,
                    balance=acc.points_balance - expired,
                    at=now,
                )
        return len(lots), expired


# the transaction ---------------------------------------------------------------------


async def _write(engine: AsyncEngine, request: _Request, book: _Booking) -> PointsResult:
    try:
        async with write_transaction(engine) as conn:
            acc = await _lock_account(conn, request)
            original = await _entry_by_key(conn, acc.id, request.idempotency_key)
            if original is not None:
                _check_replay(original, request)
                return PointsResult(original, await _account_row(conn, acc.id), replayed=True)
            if acc.status != LoyaltyAccountStatus.ACTIVE:
                raise LoyaltyError(Code.ACCOUNT_NOT_ACTIVE, f"the loyalty account is {acc.status}")
            entry_id = await book(conn, acc)
            booked = (await repository.ledger_entries_by_ids(conn, [entry_id]))[0]
            account_now = await _account_row(conn, acc.id)
            await _publish(
                conn,
                customer_id=booked.customer_id,
                kind=LedgerEntryKind(booked.kind),
                entry_id=booked.id,
                points=booked.points,
                balance=account_now.points_balance,
                at=booked.created_at,
            )
            return PointsResult(booked, account_now, replayed=False)
    except IntegrityError:
        # Only a writer that skipped the lock could race us to the key; read its entry.
        async with engine.connect() as conn:
            acc = await _find_account(conn, request, lock=False)
            original = await _entry_by_key(conn, acc.id, request.idempotency_key)
            if original is None:
                raise
            _check_replay(original, request)
            return PointsResult(original, await _account_row(conn, acc.id), replayed=True)


async def _lock_account(conn: AsyncConnection, request: _Request) -> Row[Any]:
    return await _find_account(conn, request, lock=True)


async def _find_account(conn: AsyncConnection, request: _Request, *, lock: bool) -> Row[Any]:
    found = await conn.scalar(select(customer.c.id).where(customer.c.id == request.customer_id))
    if found is None:
        raise LoyaltyError(Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id")
    condition = account.c.customer_id == request.customer_id
    if request.program_code is not None:
        codes = select(program.c.id).where(program.c.code == request.program_code)
        condition = condition & account.c.program_id.in_(codes.scalar_subquery())
    ids = (await conn.scalars(select(account.c.id).where(condition).order_by(account.c.id))).all()
    if not ids:
        raise LoyaltyError(
            Code.LOYALTY_ACCOUNT_NOT_FOUND,
            "the customer has no loyalty account"
            + (" in that program" if request.program_code else ""),
            field="program_code" if request.program_code else "customer_id",
        )
    if len(ids) > 1 and request.reverses_entry_id is not None:
        # A reversal names its entry, and the entry names the account.
        owner = await conn.scalar(
            select(entry.c.account_id).where(entry.c.id == request.reverses_entry_id)
        )
        if owner not in ids:
            raise LoyaltyError(
                Code.ENTRY_NOT_FOUND, "no such entry on this customer's account", field="entry_id"
            )
        ids = [owner]
    if len(ids) > 1:
        raise LoyaltyError(
            Code.INVALID_INPUT,
            "the customer has accounts in several programs: give programCode",
            field="program_code",
        )
    condition = account.c.id == ids[0]
    return await _lock(conn, condition) if lock else await _select_account(conn, condition)


async def _select_account(conn: AsyncConnection, condition: Any, *, lock: bool = False) -> Row[Any]:
    stmt = select(
        account,
        select(program.c.points_validity_months)
        .where(program.c.id == account.c.program_id)
        .scalar_subquery()
        .label("validity_months"),
    ).where(condition)
    if lock:
        stmt = stmt.with_for_update(of=account)  # SQLite renders nothing: BEGIN IMMEDIATE locks
    return (await conn.execute(stmt)).one()


async def _lock(conn: AsyncConnection, condition: Any) -> Row[Any]:
    return await _select_account(conn, condition, lock=True)


async def _account_row(conn: AsyncConnection, account_id: int) -> Row[Any]:
    return (await repository.accounts_by_ids(conn, [account_id]))[0]


async def _entry_by_key(conn: AsyncConnection, account_id: int, key: str) -> Row[Any] | None:
    stmt = select(entry).where(entry.c.account_id == account_id, entry.c.idempotency_key == key)
    return (await conn.execute(stmt)).one_or_none()


def _check_replay(original: Row[Any], request: _Request) -> None:
    same = original.kind == request.kind and (
        original.reverses_entry_id == request.reverses_entry_id
        if request.kind == LedgerEntryKind.REVERSAL
        else original.points == request.points
    )
    if not same:
        raise LoyaltyError(
            Code.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different request",
            field="idempotency_key",
        )


_EVENT_KINDS = {
    LedgerEntryKind.EARN: events.EventKind.POINTS_EARNED,
    LedgerEntryKind.REDEEM: events.EventKind.POINTS_REDEEMED,
    LedgerEntryKind.ADJUST: events.EventKind.POINTS_ADJUSTED,
    LedgerEntryKind.REVERSAL: events.EventKind.POINTS_REVERSED,
    LedgerEntryKind.EXPIRE: events.EventKind.POINTS_EXPIRED,
}


async def _publish(
    conn: AsyncConnection,
    *,
    customer_id: int,
    kind: LedgerEntryKind,
    entry_id: int,
    points: int,
    balance: int,
    at: dt.datetime,
) -> None:
    """Tell the customer's subscribers about a booked entry, once this transaction commits."""
    await events.publish(
        conn,
        events.CustomerEvent(
            customer_id=customer_id,
            kind=_EVENT_KINDS[kind],
            entity_type="LedgerEntry",
            entity_id=entry_id,
            occurred_at=at,
            data={"points": points, "balance": balance},
        ),
    )


# ledger arithmetic -------------------------------------------------------------------


async def _consume_lots(
    conn: AsyncConnection, account_id: int, points: int, *, now: dt.datetime
) -> None:
    """Take ``points`` from the available lots, oldest first."""
    lots = (
        await conn.execute(
            select(entry.c.id, entry.c.remaining_points)
            .where(
                entry.c.account_id == account_id,
                entry.c.remaining_points > 0,
                or_(entry.c.expires_at.is_(None), entry.c.expires_at > now),
            )
            .order_by(entry.c.occurred_at, entry.c.id)
        )
    ).all()
    available = sum(lot.remaining_points for lot in lots)
    if available < points:
        raise LoyaltyError(
            Code.INSUFFICIENT_POINTS,
            f"{points} points asked, {available} available",
            field="points",
        )
    for lot in lots:
        if points == 0:
            break
        taken = min(points, lot.remaining_points)
        await conn.execute(
            update(entry)
            .where(entry.c.id == lot.id)
            .values(remaining_points=lot.remaining_points - taken)
        )
        points -= taken


async def _insert_entry(
    conn: AsyncConnection,
    acc: Row[Any],
    kind: LedgerEntryKind,
    points: int,
    *,
    reason: str,
    key: str,
    now: dt.datetime,
    occurred_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    source_ref: str | None = None,
    reverses_entry_id: int | None = None,
) -> int:
    values = {
        "account_id": acc.id,
        "customer_id": acc.customer_id,
        "kind": kind,
        "points": points,
        "remaining_points": points if points > 0 else None,
        "occurred_at": occurred_at or now,
        "expires_at": expires_at,
        "reason": reason,
        "source_ref": source_ref,
        "idempotency_key": key,
        "reverses_entry_id": reverses_entry_id,
        "created_at": now,
    }
    return int(await conn.scalar(insert(entry).values(values).returning(entry.c.id)))


async def _update_account(
    conn: AsyncConnection, acc: Row[Any], *, now: dt.datetime, balance: int, lifetime: int = 0
) -> None:
    """Move the cached totals, bump the version and recompute the tier."""
    tier_id = await _tier_for(conn, acc, now=now)
    await conn.execute(
        update(account)
        .where(account.c.id == acc.id)
        .values(
            points_balance=account.c.points_balance + balance,
            lifetime_points=account.c.lifetime_points + lifetime,
            version=account.c.version + 1,
            tier_id=tier_id,
        )
    )


async def _tier_for(conn: AsyncConnection, acc: Row[Any], *, now: dt.datetime) -> int:
    """The highest tier whose threshold the points earned in the last 12 months reach."""
    reversed_earn = entry.alias("reversed_earn")
    since = add_months(now, -QUALIFYING_MONTHS)
    earned = select(func.coalesce(func.sum(entry.c.points), 0)).where(
        entry.c.account_id == acc.id,
        entry.c.kind == LedgerEntryKind.EARN,
        entry.c.occurred_at >= since,
    )
    # A reversed earn no longer qualifies: its reversal counts against it.
    unearned = (
        select(func.coalesce(func.sum(entry.c.points), 0))
        .join(reversed_earn, reversed_earn.c.id == entry.c.reverses_entry_id)
        .where(
            entry.c.account_id == acc.id,
            reversed_earn.c.kind == LedgerEntryKind.EARN,
            reversed_earn.c.occurred_at >= since,
        )
    )
    qualifying = int(await conn.scalar(earned) or 0) + int(await conn.scalar(unearned) or 0)
    best = (
        select(tier.c.id)
        .where(tier.c.program_id == acc.program_id, tier.c.threshold_points <= qualifying)
        .order_by(tier.c.rank.desc())
        .limit(1)
    )
    return int(await conn.scalar(best) or acc.tier_id)


async def _reversible_entry(conn: AsyncConnection, acc: Row[Any], entry_id: int) -> Row[Any]:
    original = (
        await conn.execute(
            select(entry).where(entry.c.id == entry_id, entry.c.account_id == acc.id)
        )
    ).one_or_none()
    if original is None:
        raise LoyaltyError(
            Code.ENTRY_NOT_FOUND, "no such entry on this customer's account", field="entry_id"
        )
    if original.kind not in (LedgerEntryKind.EARN, LedgerEntryKind.REDEEM):
        raise LoyaltyError(
            Code.ENTRY_NOT_REVERSIBLE,
            f"a {original.kind} entry cannot be reversed: book an adjustment",
            field="entry_id",
        )
    reversal = await conn.scalar(select(entry.c.id).where(entry.c.reverses_entry_id == entry_id))
    if reversal is not None:
        raise LoyaltyError(
            Code.ALREADY_REVERSED, "this entry was reversed before", field="entry_id"
        )
    return original


def add_months(instant: dt.datetime, months: int) -> dt.datetime:
    """The same day and time ``months`` later (earlier if negative), clamped to month end."""
    index = instant.year * 12 + instant.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return instant.replace(year=year, month=month, day=min(instant.day, last_day))
