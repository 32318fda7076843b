"""One database connection per GraphQL request, opened on first use.

Why one, and not one per loader batch: a request's loader batches are many small
statements, and each pool checkout costs a liveness ping and a transaction start; a
single checkout per request keeps the pool free for other requests under load. A
connection cannot run two statements at once, so concurrent batches take turns through
a lock rather than share it unsafely.

On PostgreSQL the connection reads in one REPEATABLE READ, READ ONLY transaction: every
field of a response (a summary and the lists it sums up) sees the same snapshot. SQLite
runs each SELECT on its own; there a response may straddle a concurrent write.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["RequestDatabase"]


class RequestDatabase:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    @property
    def engine(self) -> AsyncEngine:
        """The engine itself, for writes: each mutation runs its own transaction on it,
        apart from the request's read-only snapshot connection."""
        return self._engine

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """The request's connection, for the caller's exclusive use until the block ends."""
        async with self._lock:
            if self._connection is None:
                self._connection = await self._open()
            yield self._connection

    async def _open(self) -> AsyncConnection:
        connection = await self._engine.connect()
        if connection.dialect.name == "postgresql":
            await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        return connection

    async def close(self) -> None:
        """Give the connection back to the pool (its read-only transaction is rolled back)."""
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()
