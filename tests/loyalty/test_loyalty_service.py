"""The ledger service without GraphQL: expiry, concurrent writers, and the expire command."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from loyalty_support import Members, account_row, assert_ledger_exact, ledger

from c360.database import create_engine
from c360.loyalty import service
from c360.loyalty.errors import LoyaltyError, LoyaltyErrorCode

from gqltest import new_database  # isort: skip (found through loyalty_support)


@pytest.fixture(scope="module")
async def database(database_factory: Any) -> str:
    return await new_database(database_factory)


@pytest.fixture(scope="module")
async def members(database: str) -> AsyncIterator[Members]:
    # The default pool (10 + 10 overflow): the crowd of writers below keeps 20
    # transactions contending for the account lock at once, without taking a shared
    # PostgreSQL server's connections (max_connections is 100) from other test runs.
    engine = create_engine(database)
    yield Members(engine)
    await engine.dispose()


async def test_expiry_books_each_lot_past_its_date_and_runs_once(members: Members) -> None:
    engine = members.engine
    member = await members.new(((100, 500), (50, 380), (70, 100)))  # two lots expired
    await service.redeem_points(
        engine,
        customer_id=member.customer_id,
        points=60,
        reason="x",
        idempotency_key="r",
        now=members.now - dt.timedelta(days=300),  # when the oldest lot was still valid
    )
    report = await service.expire_points(engine, now=members.now)
    assert (report.accounts, report.entries, report.points) == (1, 2, 90)
    rows = await ledger(engine, member.account_id)
    expiries = [(r.kind, r.points, r.idempotency_key) for r in rows if r.kind == "expire"]
    assert expiries == [
        ("expire", -40, f"c360:expire:{member.lot_ids[0]}"),
        ("expire", -50, f"c360:expire:{member.lot_ids[1]}"),
    ]
    assert [r.remaining_points for r in rows[:3]] == [0, 0, 70]
    assert rows[-1].occurred_at == rows[1].expires_at  # booked when the lot expired
    assert await assert_ledger_exact(engine, member.account_id) == 70
    assert (await account_row(engine, member.account_id)).version == 3

    again = await service.expire_points(engine, now=members.now)
    assert (again.entries, again.points) == (0, 0)
    assert len(await ledger(engine, member.account_id)) == len(rows)


async def test_expire_command_books_and_reports(members: Members, database: str) -> None:
    member = await members.new(((30, 400),))
    as_of = (members.now + dt.timedelta(seconds=1)).isoformat()
    script = "from c360.loyalty.cli import loyalty_app; loyalty_app(prog_name='c360 loyalty')"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script, "expire", "--as-of", as_of],
        env={**os.environ, "C360_DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("expired ") and "points in" in done.stdout
    assert await assert_ledger_exact(members.engine, member.account_id) == 0


async def test_expire_command_refuses_a_naive_instant(database: str) -> None:
    script = "from c360.loyalty.cli import loyalty_app; loyalty_app(prog_name='c360 loyalty')"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script, "expire", "--as-of", "2026-01-01T00:00:00"],
        env={**os.environ, "C360_DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "UTC offset" in done.stderr


async def test_service_refuses_naive_times(members: Members) -> None:
    member = await members.new(((10, 1),))
    with pytest.raises(LoyaltyError) as refused:
        await service.redeem_points(
            members.engine,
            customer_id=member.customer_id,
            points=1,
            reason="x",
            idempotency_key="k",
            now=dt.datetime(2026, 1, 1),
        )
    assert refused.value.code == LoyaltyErrorCode.INVALID_INPUT


async def _redeem_concurrently(
    members: Members, *, balance: int, writers: int, points: int
) -> tuple[Counter[str], int]:
    member = await members.new(((balance // 2, 20), (balance - balance // 2, 10)))

    async def redeem(n: int) -> str:
        try:
            result = await service.redeem_points(
                members.engine,
                customer_id=member.customer_id,
                points=points,
                reason="concurrent",
                idempotency_key=f"c-{n}",
            )
        except LoyaltyError as error:
            return error.code.value
        assert result.account.points_balance >= 0
        return "OK"

    outcomes = Counter(await asyncio.gather(*(redeem(n) for n in range(writers))))
    return outcomes, await assert_ledger_exact(members.engine, member.account_id)


async def test_100_concurrent_redemptions_leave_the_ledger_exact(members: Members) -> None:
    # 500 points, 100 writers asking 7 each: 71 fit (497), 29 must be refused, 3 remain.
    # PostgreSQL serialises them on the account's row lock, SQLite on BEGIN IMMEDIATE
    # (where a writer that finds the database locked waits instead of failing).
    outcomes, balance = await _redeem_concurrently(members, balance=500, writers=100, points=7)
    assert outcomes == Counter({"OK": 71, "INSUFFICIENT_POINTS": 29})
    assert balance == 3


async def test_concurrent_retries_of_one_key_book_once(members: Members) -> None:
    member = await members.new(((100, 10),))

    async def earn() -> bool:
        result = await service.earn_points(
            members.engine,
            customer_id=member.customer_id,
            points=5,
            reason="x",
            idempotency_key="one",
        )
        return result.replayed

    replayed = await asyncio.gather(*(earn() for _ in range(6)))
    assert sorted(replayed) == [False, True, True, True, True, True]
    assert await assert_ledger_exact(members.engine, member.account_id) == 105
