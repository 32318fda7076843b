"""The loader shapes every relation loader is one of.

Each loader is built per request around the request's database (``RequestDatabase``)
and answers a batch of keys with one statement (one per distinct argument set, for the
loaders whose keys carry field arguments), with results in key order: ``None`` for a
missing to-one row, ``[]`` for a parent without children.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue_batch
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.graphql.db import RequestDatabase

__all__ = ["ByIdLoader", "ByParentIdLoader", "DbLoader", "ParentArgsLoader", "group_by_parent"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
A = TypeVar("A", bound=Hashable)

Fetch = Callable[[AsyncConnection, Sequence[int]], Awaitable[Sequence[Row[Any]]]]


class DbLoader(DataLoader[K, V]):
    def __init__(self, db: RequestDatabase) -> None:
        super().__init__(loop=db.loop)
        self.db = db

    def do_resolve_reject(self, key: K, future: asyncio.Future[V]) -> None:
        # aiodataloader's own scheduling, two loop turns from the first key to the
        # batch, without its ensure_future() calls: on Python 3.11 each looks the loop
        # up with a getpid() system call, and it wraps each dispatch in a task of its own.
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            self.loop.call_soon(self.loop.call_soon, self._dispatch)

    def _dispatch(self) -> None:
        queue, self._queue = self._queue, []
        _drive(self.loop, dispatch_queue_batch(self, queue))

    def load(self, key: K) -> asyncio.Future[V]:
        # A key's future is cached and shared by every field that asked for it. When an
        # error nulls a parent, graphql-core (3.3 and later) cancels the parent's other
        # fields, and cancelling a task cancels the future it awaits: handed out as is,
        # a sibling elsewhere in the query waiting on the same key would be cancelled
        # too, and the whole request with it. So each caller gets its own future.
        # The direct executor never cancels what it waits for, and takes the shared
        # future as is (c360.graphql.compiled.execute).
        shared = super().load(key)
        if shared.done() or self.db.uncancelled_waits:
            return shared
        return _own_future(shared)


def _drive(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` as a task would, without the task: on until it waits for a
    future, then on from that future's done-callback. A teller's view dispatches a dozen
    loaders, each of which waits for one read; a task apiece was a tenth of the loaders'
    cost. (aiodataloader's dispatch rejects the keys' futures itself on any error.)"""

    def step(_: Any = None, error: BaseException | None = None) -> None:
        try:
            yielded = coroutine.send(None) if error is None else coroutine.throw(error)
        except StopIteration:
            return
        except BaseException as exc:
            loop.call_exception_handler({"message": "a loader's dispatch failed", "exception": exc})
            if not isinstance(exc, Exception | asyncio.CancelledError):
                raise
            return
        if yielded is None:  # a bare yield: on at the next turn
            loop.call_soon(step)
        elif getattr(yielded, "_asyncio_future_blocking", None) is not None:
            yielded._asyncio_future_blocking = False
            yielded.add_done_callback(step)
        else:  # as a task would: the coroutine hears of it (and rejects its keys)
            loop.call_soon(step, None, RuntimeError(f"a dispatch yielded {yielded!r}"))

    step()


def _own_future(shared: asyncio.Future[V]) -> asyncio.Future[V]:
    """A future that follows ``shared``; cancelling it leaves ``shared`` alone.

    Unlike ``asyncio.shield``, it still takes ``shared``'s error when its own waiter is
    gone, so that a refused read of an abandoned field is not logged as never retrieved.
    """
    own: asyncio.Future[V] = shared.get_loop().create_future()

    def follow(shared: asyncio.Future[V]) -> None:
        if shared.cancelled():
            own.cancel()
        elif (error := shared.exception()) is not None:
            if not own.done():
                own.set_exception(error)
        elif not own.done():
            own.set_result(shared.result())

    shared.add_done_callback(follow)
    return own


def group_by_parent(
    rows: Iterable[Row[Any]], parent_ids: Sequence[int], parent_key: str
) -> list[list[Row[Any]]]:
    """Rows grouped under each of ``parent_ids``, in that order, keeping the rows' order."""
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, parent_key)].append(row)
    return [grouped.get(parent_id, []) for parent_id in parent_ids]


class ByIdLoader(DbLoader[int, Row[Any] | None]):
    """A to-one relation by primary key."""

    fetch: Fetch  # a repository function, set by each subclass as a staticmethod

    async def batch_load_fn(self, ids: list[int]) -> list[Row[Any] | None]:
        async with self.db.connect() as conn:
            rows = await self.fetch(conn, ids)
        by_id = {row.id: row for row in rows}
        return [by_id.get(row_id) for row_id in ids]


class ByParentIdLoader(DbLoader[int, list[Row[Any]]]):
    """A to-many relation by the parent's id."""

    fetch: Fetch  # a repository function, set by each subclass as a staticmethod
    parent_key: ClassVar[str] = "customer_id"

    async def batch_load_fn(self, parent_ids: list[int]) -> list[list[Row[Any]]]:
        async with self.db.connect() as conn:
            rows = await self.fetch(conn, parent_ids)
        return group_by_parent(rows, parent_ids, self.parent_key)


class ParentArgsLoader(DbLoader[tuple[int, A], V], Generic[A, V]):
    """A relation with field arguments: keys are (parent id, arguments).

    The parents of a page usually share the arguments (they come from one field in the
    query), so a batch is one statement per distinct set of arguments, and those
    statements travel together.
    """

    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: A
    ) -> list[V]:  # pragma: no cover - abstract
        """Values for ``parent_ids`` in that order."""
        raise NotImplementedError

    async def batch_load_fn(self, keys: list[tuple[int, A]]) -> list[V]:
        parents_by_args: dict[A, list[int]] = defaultdict(list)
        for parent_id, args in keys:
            parents_by_args[args].append(parent_id)
        values: dict[tuple[int, A], V] = {}
        async with self.db.connect() as conn:
            # Concurrently, so that the argument sets share one round trip (the request's
            # reads of one tick are batched, c360.graphql.db).
            found = await asyncio.gather(
                *(
                    self.loop.create_task(self.fetch_for(conn, ids, args))
                    for args, ids in parents_by_args.items()
                )
            )
        for (args, parent_ids), rows in zip(parents_by_args.items(), found, strict=True):
            values.update(zip(((p, args) for p in parent_ids), rows, strict=True))
        return [values[key] for key in keys]
