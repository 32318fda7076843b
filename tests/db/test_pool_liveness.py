"""A pooled PostgreSQL connection that died while it rested is replaced, unseen by callers.

The engine pings a connection only when it has rested in the pool longer than
``PING_AFTER_IDLE_SECONDS`` (a ping on every checkout costs a round trip per request).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from c360 import database
from c360.database import create_engine


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


async def _kill(url: str, pid: int) -> None:
    killer = create_engine(url)
    try:
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await killer.dispose()


@pytest.fixture
def postgres_url(database_backend: str, database_url: str) -> str:
    if database_backend != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    return database_url


async def test_a_rested_dead_connection_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = create_engine(postgres_url, pool_size=1)
    try:
        first = await _backend_pid(engine)
        assert await _backend_pid(engine) == first  # reused from the pool, no new session
        await _kill(postgres_url, first)
        await asyncio.sleep(0.4)  # rested: the next checkout pings, finds it dead, reconnects
        replaced = await _backend_pid(engine)
        assert replaced != first
    finally:
        await engine.dispose()


async def test_only_a_rested_connection_is_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.3)
    engine = create_engine(postgres_url, pool_size=1)
    dialect = engine.sync_engine.dialect
    pings: list[object] = []
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    try:
        await _backend_pid(engine)  # a new connection: nothing to check
        await _backend_pid(engine)  # checked in moments ago: taken as alive
        assert pings == []
        await asyncio.sleep(0.5)
        await _backend_pid(engine)
        assert len(pings) == 1
    finally:
        await engine.dispose()
