"""``EventHub``: one per process and database, fanning committed events out to subscribers.

- PostgreSQL: ONE dedicated asyncpg connection per process LISTENs on the channel,
  however many subscribers there are (``_listener``). If it drops, the hub reconnects
  with backoff; every subscription open at that moment ends with
  ``EVENTS_INTERRUPTED``, because what was committed while nobody listened is gone
  (NOTIFY keeps nothing for absent listeners) and a screen that silently missed a
  change is worse than one that knows it must reload.
- SQLite: events come from this process's own commits (``c360.events.local``).

Each subscriber has a bounded queue (``QUEUE_SIZE``). A subscriber that falls that far
behind is dropped, not the oldest events: it receives what is queued, then its
subscription ends with ``SUBSCRIBER_TOO_SLOW``, so it knows to reload and subscribe
again rather than show a state with holes in it. Memory per subscriber stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncEngine

from c360.events import local
from c360.events._listener import PostgresListener
from c360.events.model import CustomerEvent

__all__ = [
    "QUEUE_SIZE",
    "EventHub",
    "StreamEndCode",
    "StreamEndedError",
    "Subscription",
    "hub_for",
]

logger = logging.getLogger("c360.events")

QUEUE_SIZE = 256
# How long a new subscription waits for a (re)connecting listener before giving up.
LISTEN_WAIT_SECONDS = 5.0

_hubs: weakref.WeakKeyDictionary[object, EventHub] = weakref.WeakKeyDictionary()


class StreamEndCode(StrEnum):
    SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"
    EVENTS_INTERRUPTED = "EVENTS_INTERRUPTED"
    EVENTS_UNAVAILABLE = "EVENTS_UNAVAILABLE"


class StreamEndedError(Exception):
    """A subscription could not start or had to end; the client should reload and retry."""

    def __init__(self, code: StreamEndCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def hub_for(engine: AsyncEngine) -> EventHub | None:
    """The started hub of this engine's process, if any."""
    return _hubs.get(engine.sync_engine)


class Subscription:
    """The events of one customer, in commit order, as an async iterator."""

    def __init__(self, customer_id: int, *, queue_size: int) -> None:
        self.customer_id = customer_id
        self._queue_size = queue_size
        # One slot more than events may take: room for the end marker when full.
        self._queue: asyncio.Queue[CustomerEvent | StreamEndedError | None] = asyncio.Queue(
            queue_size + 1
        )
        self._ended = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> CustomerEvent:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        if isinstance(item, StreamEndedError):
            raise item
        return item

    def offer(self, event: CustomerEvent) -> bool:
        """Queue ``event``; False when this subscriber is too slow and was ended instead."""
        if self._ended:
            return False
        if self._queue.qsize() >= self._queue_size:
            self.end(
                StreamEndedError(
                    StreamEndCode.SUBSCRIBER_TOO_SLOW,
                    f"more than {self._queue_size} events waited for this subscriber",
                )
            )
            return False
        self._queue.put_nowait(event)
        return True

    def end(self, error: StreamEndedError | None = None) -> None:
        """No more events: after the queued ones, the iterator stops (or raises ``error``)."""
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(error)


class EventHub:
    """Committed events of one database, for this process's subscribers."""

    def __init__(self, engine: AsyncEngine, *, queue_size: int = QUEUE_SIZE) -> None:
        self._engine = engine
        self._queue_size = queue_size
        self._subscriptions: dict[int, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: PostgresListener | None = None
        self._local_key: str | None = None

    @property
    def subscriber_count(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._subscriptions.values())

    async def start(self) -> None:
        """Start receiving (on PostgreSQL, the listener connects in the background)."""
        self._loop = asyncio.get_running_loop()
        if self._engine.dialect.name == "postgresql":
            self._listener = PostgresListener(
                self._engine.url, on_message=self._on_message, on_lost=self._interrupt
            )
            self._listener.start()
        else:
            self._local_key = local.key(self._engine.url)
            local.register(self._local_key, self._receive_threadsafe)
        _hubs[self._engine.sync_engine] = self

    async def stop(self) -> None:
        """Stop receiving; open subscriptions end after what they have queued."""
        _hubs.pop(self._engine.sync_engine, None)
        if self._local_key is not None:
            local.unregister(self._local_key, self._receive_threadsafe)
        if self._listener is not None:
            await self._listener.stop()
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                subscription.end()
        self._subscriptions.clear()

    @asynccontextmanager
    async def subscribe(self, customer_id: int) -> AsyncIterator[Subscription]:
        """Receive the events of ``customer_id`` committed from now on, until the block ends."""
        if self._listener is not None:
            try:
                async with asyncio.timeout(LISTEN_WAIT_SECONDS):
                    await self._listener.wait_listening()
            except TimeoutError:
                raise StreamEndedError(
                    StreamEndCode.EVENTS_UNAVAILABLE,
                    "live updates are unavailable: try again shortly",
                ) from None
        subscription = Subscription(customer_id, queue_size=self._queue_size)
        self._subscriptions.setdefault(customer_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            self._forget(subscription)

    def _forget(self, subscription: Subscription) -> None:
        subscriptions = self._subscriptions.get(subscription.customer_id)
        if subscriptions is not None:
            subscriptions.discard(subscription)
            if not subscriptions:
                del self._subscriptions[subscription.customer_id]

    def _on_message(self, message: str) -> None:
        try:
            event = CustomerEvent.decode(message)
        except ValueError:
            logger.warning("ignored a message on the events channel: %.200r", message)
            return
        self._receive(event)

    def _receive_threadsafe(self, event: CustomerEvent) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._receive(event)
        else:
            loop.call_soon_threadsafe(self._receive, event)

    def _receive(self, event: CustomerEvent) -> None:
        for subscription in list(self._subscriptions.get(event.customer_id, ())):
            if not subscription.offer(event):
                self._forget(subscription)
                logger.warning("dropped a subscriber of customer %s: too slow", event.customer_id)

    def _interrupt(self) -> None:
        error_message = "the event stream was interrupted: reload and subscribe again"
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                subscription.end(StreamEndedError(StreamEndCode.EVENTS_INTERRUPTED, error_message))
        self._subscriptions.clear()
