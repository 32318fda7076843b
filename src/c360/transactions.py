"""The write transaction every service opens: one per operation, committed or rolled back whole.

On PostgreSQL it is an ordinary transaction (READ COMMITTED); a service that reads a row
and then changes it by what it read locks that row first (``SELECT ... FOR UPDATE``).
On SQLite it starts with ``BEGIN IMMEDIATE``: the database's single write lock is taken
up front, so two writers never both read and then deadlock on the upgrade to writing
(which SQLite reports as an error instead of waiting); a second writer waits on
``busy_timeout``. ``FOR UPDATE`` renders as nothing there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360.customers.models import Customer

__all__ = ["customer_exists", "write_transaction"]

_customer: Table = Customer.__table__  # type: ignore[assignment]


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a new write transaction: committed when the block ends, rolled
    back when it raises."""
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


async def customer_exists(conn: AsyncConnection, customer_id: int, *, lock: bool = False) -> bool:
    """Whether the customer exists; with ``lock``, its row is held until the transaction
    ends (PostgreSQL ``FOR NO KEY UPDATE``: other such writers wait, foreign-key checks
    of inserts that merely reference the customer do not)."""
    stmt = select(_customer.c.id).where(_customer.c.id == customer_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    return await conn.scalar(stmt) is not None
