"""Small in-process memories that keep token checks off the database on the hot path.

``PrincipalCache`` remembers a verified credential for a few seconds, keyed by its
keyed hash (never the credential itself). ``LastUsedRecorder`` writes a token's
``last_used_at`` at most once a minute, in a background task, so that a request never
waits on that write.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from c360.auth.principal import Principal

__all__ = ["LastUsedRecorder", "PrincipalCache"]

log = logging.getLogger("c360.auth")


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    fresh_until: float  # time.monotonic()
    expires_at: dt.datetime | None  # the credential's own expiry, wall clock


class PrincipalCache:
    """Verified principals by credential hash, each kept for ``ttl`` seconds at most.

    Bounded: when full, the oldest entry goes. Failures are never cached, so a flood of
    made-up tokens cannot fill it.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[str, _Entry] = {}
        self._max_entries = max_entries

    def get(self, key: str, *, now: dt.datetime) -> tuple[Principal, dt.datetime | None] | None:
        """The principal and its credential's expiry, if verified recently."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.fresh_until <= time.monotonic():
            del self._entries[key]
            return None
        return entry.principal, entry.expires_at

    def put(
        self, key: str, principal: Principal, *, ttl: float, expires_at: dt.datetime | None
    ) -> None:
        if ttl <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = _Entry(principal, time.monotonic() + ttl, expires_at)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_token(self, token_id: int) -> None:
        """Drop every entry of one token (it was revoked in this process)."""
        stale = [k for k, e in self._entries.items() if e.principal.token_id == token_id]
        for key in stale:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class LastUsedRecorder:
    """Schedules ``last_used_at`` writes: at most one per token per ``interval``."""

    def __init__(self, interval: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        self.interval = interval
        self._recorded: dict[int, dt.datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def seen(self, token_id: int, last_used_at: dt.datetime | None) -> None:
        """What the database says, so a fresh process does not rewrite a recent value."""
        if last_used_at is not None and last_used_at > self._recorded.get(
            token_id, dt.datetime.min.replace(tzinfo=dt.UTC)
        ):
            self._recorded[token_id] = last_used_at

    def note(self, token_id: int, now: dt.datetime, write: Callable[[], Awaitable[None]]) -> None:
        """Start ``write`` in the background unless this token was recorded recently."""
        last = self._recorded.get(token_id)
        if last is not None and now - last < self.interval:
            return
        self._recorded[token_id] = now
        task = asyncio.get_running_loop().create_task(self._run(token_id, write))
        self._tasks.add(task)  # a strong reference until it ends
        task.add_done_callback(self._tasks.discard)

    async def _run(self, token_id: int, write: Callable[[], Awaitable[None]]) -> None:
        try:
            await write()
        except Exception:
            # Bookkeeping only: a failed write must never fail or slow down a request.
            log.warning("could not record last use of token %s", token_id, exc_info=True)

    async def drain(self) -> None:
        """Wait for pending writes, e.g. before disposing of the engine at shutdown."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    def clear(self) -> None:
        self._recorded.clear()
