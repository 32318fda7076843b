"""The write transaction every service opens: one per operation, serialised where it matters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["write_transaction"]


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One write transaction, committed when the block ends and rolled back if it raises.

    On SQLite it starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two
    writers never both read a row and then deadlock on the upgrade to writing (which SQLite
    reports as an error instead of waiting). On PostgreSQL the callers lock the rows they
    check with ``SELECT ... FOR UPDATE``.
    """
    async with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            async with conn.begin():
                yield conn
            return
        # The driver must not open its own deferred transaction: we issue BEGIN ourselves.
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            await conn.exec_driver_sql("ROLLBACK")
            raise
        await conn.exec_driver_sql("COMMIT")
