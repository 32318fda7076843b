"""Per-key sliding-window rate limiting, in memory or shared through Redis.

A key may make ``limit`` requests in any window of ``window`` seconds: each allowed request
is logged with its time, and a request is allowed while fewer than ``limit`` logged
requests are younger than ``window``. Refused requests are not logged, so a client that
keeps knocking is let in again as soon as its oldest request leaves the window, and
``retry_after`` says exactly when that is.

- ``MemoryRateLimiter`` counts in this process: the default, one budget per worker.
- ``RedisRateLimiter`` keeps the log in a sorted set per key and updates it with one Lua
  script (atomic on the server), so every worker and host sharing the Redis shares one
  budget per key. Times come from the worker's wall clock.

When Redis cannot be reached, ``RedisRateLimiter`` falls back to counting in memory: each
worker then enforces the limit on its own (a key may get up to ``workers x limit``), which
keeps the API up and still bounds a runaway client, rather than refusing everyone (fail
closed) or no one (fail open). It logs a warning when Redis goes away and when it is
back, and tries it again after ``REDIS_RETRY_SECONDS`` rather than on every request.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from c360.settings import Settings

__all__ = [
    "Decision",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
]

logger = logging.getLogger("c360.ratelimit")

# How long to count in memory after Redis failed before asking it again.
REDIS_RETRY_SECONDS = 5.0
# A rate limiter must never be why a request is slow: give up on Redis quickly.
REDIS_TIMEOUT_SECONDS = 0.25
# Keys remembered by the in-memory limiter; the least recently seen is forgotten first.
MAX_MEMORY_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one request: allowed or not, and what is left."""

    allowed: bool
    # Seconds until a request of this key would be allowed again; 0 when allowed.
    retry_after: float
    # Requests still allowed in the current window, this one counted.
    remaining: int
    limit: int


class RateLimiter(Protocol):
    async def hit(self, key: str, *, limit: int | None = None) -> Decision:
        """Count one request of ``key``; ``limit`` overrides the limiter's own (e.g. per role)."""
        ...

    async def aclose(self) -> None: ...


class MemoryRateLimiter:
    """A sliding-window log per key, in this process."""

    def __init__(
        self,
        *,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_MEMORY_KEYS,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._log: OrderedDict[str, deque[float]] = OrderedDict()

    async def hit(self, key: str, *, limit: int | None = None) -> Decision:
        return self.hit_now(key, limit=limit)

    def hit_now(self, key: str, *, limit: int | None = None) -> Decision:
        """``hit`` without awaiting: the in-memory log never waits."""
        limit = self.limit if limit is None else limit
        now = self._clock()
        log = self._log.get(key)
        if log is None:
            log = self._log[key] = deque()
            if len(self._log) > self._max_keys:
                self._log.popitem(last=False)
        else:
            self._log.move_to_end(key)
        horizon = now - self.window
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) < limit:
            log.append(now)
            return Decision(allowed=True, retry_after=0.0, remaining=limit - len(log), limit=limit)
        # Over an overridden, lower limit the oldest that must leave is not log[0].
        leaving = log[len(log) - limit] if limit > 0 else now + self.window
        return Decision(
            allowed=False, retry_after=leaving + self.window - now, remaining=0, limit=limit
        )

    async def aclose(self) -> None:
        self._log.clear()


# KEYS[1]: the key's sorted set. ARGV: now (ms), window (ms), limit, a unique member.
# Returns {allowed (1/0), remaining, retry after (ms)}.
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1, 0}
end
if limit <= 0 then
  return {0, 0, window}
end
local leaving = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, 0, math.ceil(tonumber(leaving[2]) + window - now)}
"""


class RedisRateLimiter:
    """The sliding-window log in Redis, shared by every worker using the same Redis."""

    def __init__(
        self,
        client: Redis,
        *,
        limit: int,
        window: float,
        prefix: str = "c360:ratelimit:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._script = client.register_script(_SLIDING_WINDOW)
        self._fallback = MemoryRateLimiter(limit=limit, window=window)
        self._redis_down_until: float | None = None

    @classmethod
    def from_url(
        cls, url: str, *, limit: int, window: float, **options: object
    ) -> RedisRateLimiter:
        client = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        return cls(client, limit=limit, window=window, **options)  # type: ignore[arg-type]

    async def hit(self, key: str, *, limit: int | None = None) -> Decision:
        limit = self.limit if limit is None else limit
        if self._redis_down_until is not None and time.monotonic() < self._redis_down_until:
            return self._fallback.hit_now(key, limit=limit)
        now_ms = math.floor(self._clock() * 1000)
        try:
            allowed, remaining, retry_ms = await self._script(
                keys=[self._prefix + key],
                args=[now_ms, math.ceil(self.window * 1000), limit, f"{now_ms}:{uuid.uuid4().hex}"],
            )
        except (RedisError, OSError) as error:
            if self._redis_down_until is None:
                logger.warning(
                    "rate limiting in memory, per worker: Redis unreachable (%s: %s)",
                    type(error).__name__,
                    error,
                )
            self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
            return self._fallback.hit_now(key, limit=limit)
        if self._redis_down_until is not None:
            logger.warning("rate limiting through Redis again")
            self._redis_down_until = None
        return Decision(
            allowed=bool(allowed),
            retry_after=int(retry_ms) / 1000,
            remaining=int(remaining),
            limit=limit,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def build_rate_limiter(settings: Settings) -> RateLimiter | None:
    """The limiter the settings ask for; None when rate limiting is off (a limit of 0)."""
    if settings.rate_limit_requests == 0:
        return None
    if settings.redis_url:
        return RedisRateLimiter.from_url(
            settings.redis_url,
            limit=settings.rate_limit_requests,
            window=settings.rate_limit_window_seconds,
        )
    return MemoryRateLimiter(
        limit=settings.rate_limit_requests, window=settings.rate_limit_window_seconds
    )
