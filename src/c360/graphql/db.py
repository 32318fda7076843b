"""One database connection per GraphQL request, opened on first use.

Why one, and not one per loader batch: a request's loader batches are many small
statements, and each pool checkout costs a liveness ping and a transaction start; a
single checkout per request keeps the pool free for other requests under load. A
connection cannot run two statements at once, so concurrent batches take turns through
a lock rather than share it unsafely.

On PostgreSQL the connection reads in one REPEATABLE READ, READ ONLY transaction: every
field of a response (a summary and the lists it sums up) sees the same snapshot. SQLite
runs each SELECT on its own; there a response may straddle a concurrent write.

A request expected to need a single statement (``read_in_one_statement``: a teller's
view or a search whose plan has been answered in one) reads without that transaction,
since one statement sees one snapshot by itself; that saves the BEGIN and ROLLBACK
round trips, two of its three. Should it ask for a second statement after all, the read is refused
(``SnapshotNeeded``) and the caller answers the request afresh, in a snapshot.

What ``connect()`` yields is not the connection itself but a reader over it: the SELECTs
that a request's loaders issue in one event-loop tick (one level of the query: every
section of a customer, say) go to the database as one statement
(``c360.graphql.statement_batch``), and each caller gets its own rows back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect, FrozenResult, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from c360.graphql.statement_batch import (
    Batchable,
    batchable,
    combined_statement,
    decode_results,
)

__all__ = ["ReadConnection", "RequestDatabase", "RequestDatabaseClosed", "SnapshotNeeded"]


_QUIET_HOPS = 2
_MAX_HOPS = 16


@dataclass(slots=True)
class _Pending:
    prepared: Batchable
    values: list[Any]
    future: asyncio.Future[Result[Any]]


class RequestDatabase:
    def __init__(self, engine: AsyncEngine, *, batch_reads: bool = True) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        # Looked up once: on Python 3.11 asyncio.get_running_loop() is a getpid() system
        # call, which a request made dozens of times (a tenth of a teller's CPU).
        self.loop = asyncio.get_running_loop()
        self.batch_reads = batch_reads
        self._pending: list[_Pending] = []
        self._flush_scheduled = False
        self._closed = False
        self._reader = ReadConnection(self)
        self._one_statement = False
        self.statements = 0  # run so far
        self.snapshot_needed = False  # a second statement was refused (read_in_one_statement)
        # Set when whatever awaits this request's loader futures never cancels them (the
        # direct executor): the loaders may then hand every caller the one shared future.
        self.uncancelled_waits = False

    @property
    def engine(self) -> AsyncEngine:
        """The engine itself, for writes: each mutation runs its own transaction on it,
        apart from the request's read-only snapshot connection."""
        return self._engine

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    def read_in_one_statement(self) -> None:
        """Read without a transaction, refusing a second statement (PostgreSQL only:
        SQLite has no read transaction to save). Before the first read."""
        if self.dialect.name == "postgresql" and self._connection is None:
            self._one_statement = True

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[ReadConnection]:
        """A reader over the request's connection (``execute``, ``scalar``, ``scalars``)."""
        yield self._reader

    async def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Result[Any]:
        prepared = batchable(statement, params, self.dialect) if self.batch_reads else None
        if prepared is None:
            async with self._lock:
                connection = await self._connected()
                self.statements += 1
                return await connection.execute(statement, params)
        future: asyncio.Future[Result[Any]] = self.loop.create_future()
        self._pending.append(_Pending(*prepared, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._start_flush, 0, 0, 0)
        return await future

    def _start_flush(self, seen: int, quiet: int, hops: int) -> None:
        # Wait for the loop to go quiet: the loaders that dispatch in this tick start
        # their fetches a tick or two later, and resolvers a few awaits further on ask
        # for more; everything that arrives before two hops pass without a newcomer
        # joins one statement. Bounded, so a busy loop cannot hold a batch back.
        waiting = len(self._pending)
        quiet = quiet + 1 if waiting == seen else 0
        if quiet < _QUIET_HOPS and hops < _MAX_HOPS:
            self.loop.call_soon(self._start_flush, waiting, quiet, hops + 1)
            return
        self.loop.create_task(self._flush())

    async def _flush(self) -> None:
        async with self._lock:
            pending, self._pending = self._pending, []
            self._flush_scheduled = False
            pending = [each for each in pending if not each.future.done()]  # cancelled
            if not pending:
                return
            if self._closed:  # the answer went out without these reads (an error cut it short)
                _refuse(pending)
                return
            try:
                results = await self._run(pending)
            except BaseException as exc:  # every waiter hears of it, then it propagates
                for each in pending:
                    if not each.future.done():
                        each.future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                return
            for each, result in zip(pending, results, strict=True):
                if not each.future.done():
                    each.future.set_result(result)

    async def _run(self, pending: list[_Pending]) -> list[Result[Any]]:
        if len(pending) == 1:  # no JSON needed; the prepared copy has a stable SQL text
            only = pending[0]
            params = {f"__b{index}": value for index, value in enumerate(only.values)}
            return [await self._execute(only.prepared.template, params)]
        items = [each.prepared for each in pending]
        combined = combined_statement(items, self.dialect)
        params = {
            f"{prefix}__b{index}": value
            for prefix, each in zip(combined.prefixes, pending, strict=True)
            for index, value in enumerate(each.values)
        }
        if combined.text is None:
            row = (await self._execute(combined.statement, params)).one()
        else:  # compiled once (statement_batch.Combined): the text, as SQLAlchemy sends it
            row = (await self._execute(combined.text, combined.driver_parameters(params))).one()
        return decode_results(items, row, self.dialect.name)

    async def _execute(self, statement: Any, params: Any) -> Result[Any]:
        """``statement`` (a construct with a dict of parameters, or SQL text with a tuple)
        on the request's connection."""
        if self._one_statement and self._connection is None:
            # The request's only statement: checkout, read and checkin in one step
            # (one greenlet, not three), since no second statement may follow anyway.
            self._check_may_read()
            self.statements += 1
            frozen = await greenlet_spawn(self._read_alone, statement, params)
            return frozen()
        connection = await self._connected()
        self.statements += 1
        if isinstance(statement, str):
            return await connection.exec_driver_sql(statement, params)
        return await connection.execute(statement, params)

    def _read_alone(self, statement: Any, params: Any) -> FrozenResult[Any]:
        with self._engine.sync_engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            if isinstance(statement, str):
                return connection.exec_driver_sql(statement, params).freeze()
            return connection.execute(statement, params).freeze()

    def _check_may_read(self) -> None:
        if self._closed:
            raise RequestDatabaseClosed("the request has been answered")
        if self._one_statement and self.statements:
            self.snapshot_needed = True
            raise SnapshotNeeded("a second statement, outside a snapshot")

    async def _connected(self) -> AsyncConnection:
        self._check_may_read()
        if self._connection is None:
            self._connection = await self._open()
        return self._connection

    async def _open(self) -> AsyncConnection:
        connection = await self._engine.connect()
        if self._one_statement:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        elif connection.dialect.name == "postgresql":
            await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        return connection

    async def release(self) -> None:
        """Give the connection back to the pool (its read-only transaction is rolled
        back); a later read opens another. Reads still queued belong to what just ended
        (a sibling of a field whose error ended the operation) and are refused."""
        async with self._lock:
            pending, self._pending = self._pending, []
            _refuse(pending)
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()

    async def close(self) -> None:
        """``release``, for good: a request's reads after its answer went out are refused,
        since a connection they opened would never be returned."""
        self._closed = True
        await self.release()


class RequestDatabaseClosed(RuntimeError):
    """A read after the request's answer went out."""


class SnapshotNeeded(RuntimeError):
    """A second statement of a request that was to read in one (``read_in_one_statement``)."""


def _refuse(pending: list[_Pending]) -> None:
    for each in pending:
        if not each.future.done():
            each.future.set_exception(RequestDatabaseClosed("the request has been answered"))
            each.future.exception()  # nobody may be left to retrieve it


class ReadConnection:
    """What ``RequestDatabase.connect()`` yields: the reading half of ``AsyncConnection``."""

    __slots__ = ("_db",)

    def __init__(self, db: RequestDatabase) -> None:
        self._db = db

    @property
    def dialect(self) -> Dialect:
        return self._db.dialect

    async def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Result[Any]:
        return await self._db.execute(statement, params)

    async def scalar(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        return (await self._db.execute(statement, params)).scalar()

    async def scalars(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        return (await self._db.execute(statement, params)).scalars()
