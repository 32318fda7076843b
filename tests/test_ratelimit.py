"""Rate limiting: the sliding window, one budget shared through the real Redis, and the 429.

The Redis tests use the server at 127.0.0.1:6379, each under a key prefix of its own that
it deletes afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from c360.audit.recorder import AccessRecorder
from c360.auth.errors import AuthenticationError, AuthFailure
from c360.auth.principal import Principal
from c360.auth.scopes import Role
from c360.database import create_engine
from c360.graphql.http import create_graphql_app
from c360.ratelimit import MemoryRateLimiter, RedisRateLimiter, build_rate_limiter
from c360.settings import Environment, Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"c360-test:{uuid.uuid4().hex}:"
    yield prefix
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# --- the sliding window -----------------------------------------------------------------


async def test_the_window_slides_with_each_request_leaving_it() -> None:
    clock = Clock(0.0)
    limiter = MemoryRateLimiter(limit=3, window=10, clock=clock)
    for at, remaining in ((0, 2), (1, 1), (2, 0)):
        clock.now = at
        decision = await limiter.hit("k")
        assert (decision.allowed, decision.remaining, decision.limit) == (True, remaining, 3)

    clock.now = 3
    refused = await limiter.hit("k")
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 0, 7)
    clock.now = 9.5
    assert (await limiter.hit("k")).retry_after == pytest.approx(0.5)

    clock.now = 10  # the request of t=0 has left the window; those of 1 and 2 have not
    assert (await limiter.hit("k")).allowed
    clock.now = 10.25
    assert (await limiter.hit("k")).retry_after == pytest.approx(0.75)
    clock.now = 12  # 1 and 2 have left: two more
    assert [(await limiter.hit("k")).allowed for _ in range(3)] == [True, True, False]


async def test_refused_requests_do_not_spend_the_budget() -> None:
    clock = Clock(0.0)
    limiter = MemoryRateLimiter(limit=1, window=5, clock=clock)
    assert (await limiter.hit("k")).allowed
    for at in (1, 2, 3, 4):
        clock.now = at
        assert not (await limiter.hit("k")).allowed
    clock.now = 5
    assert (await limiter.hit("k")).allowed


async def test_keys_have_budgets_of_their_own_and_a_limit_may_be_overridden() -> None:
    clock = Clock(0.0)
    limiter = MemoryRateLimiter(limit=2, window=10, clock=clock)
    assert [(await limiter.hit("a")).allowed for _ in range(3)] == [True, True, False]
    assert (await limiter.hit("b")).allowed
    assert [(await limiter.hit("c", limit=5)).remaining for _ in range(5)] == [4, 3, 2, 1, 0]
    # Four logged, lowered to 2: the third oldest (t=0 as well) must leave first.
    clock.now = 4
    decision = await limiter.hit("c", limit=2)
    assert (decision.allowed, decision.limit, decision.retry_after) == (False, 2, 6)


async def test_memory_forgets_the_least_recently_seen_keys_first() -> None:
    limiter = MemoryRateLimiter(limit=1, window=60, clock=Clock(), max_keys=2)
    for key in ("a", "b", "a", "c"):  # "b" is the least recently seen when "c" arrives
        await limiter.hit(key)
    assert not (await limiter.hit("a")).allowed
    assert (await limiter.hit("b")).allowed


# --- Redis: one budget for every worker -------------------------------------------------


async def test_two_workers_share_one_budget_through_redis(redis_prefix: str) -> None:
    workers = [
        RedisRateLimiter(Redis.from_url(REDIS_URL), limit=5, window=60, prefix=redis_prefix)
        for _ in range(2)
    ]
    try:
        decisions = [await workers[i % 2].hit("token") for i in range(7)]
        assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
        assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
        assert all(0 < d.retry_after <= 60 for d in decisions[5:])
        # Concurrent requests of another key from both workers: the script is atomic.
        results = await asyncio.gather(*(workers[i % 2].hit("other") for i in range(20)))
        assert sum(d.allowed for d in results) == 5
    finally:
        for worker in workers:
            await worker.aclose()


async def test_the_redis_window_slides_like_the_memory_one(redis_prefix: str) -> None:
    clock = Clock()
    start = clock.now
    limiter = RedisRateLimiter(
        Redis.from_url(REDIS_URL), limit=2, window=10, prefix=redis_prefix, clock=clock
    )
    try:
        assert (await limiter.hit("k")).allowed
        clock.now = start + 4
        assert (await limiter.hit("k")).allowed
        clock.now = start + 6
        refused = await limiter.hit("k")
        assert (refused.allowed, refused.retry_after) == (False, 4)
        clock.now = start + 10
        assert (await limiter.hit("k")).allowed
        assert not (await limiter.hit("k")).allowed
    finally:
        await limiter.aclose()


async def test_without_redis_each_worker_counts_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisRateLimiter.from_url("redis://127.0.0.1:1/0", limit=2, window=60)
    try:
        with caplog.at_level(logging.WARNING, logger="c360.ratelimit"):
            decisions = [await limiter.hit("k") for _ in range(3)]
    finally:
        await limiter.aclose()
    assert [d.allowed for d in decisions] == [True, True, False]
    warnings = [r.getMessage() for r in caplog.records if r.name == "c360.ratelimit"]
    assert len(warnings) == 1
    assert warnings[0].startswith("rate limiting in memory, per worker: Redis unreachable")


async def test_once_redis_is_back_the_workers_share_it_again(
    redis_prefix: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("c360.ratelimit.REDIS_RETRY_SECONDS", 0.0)
    client = Redis(host="127.0.0.1", port=1)  # nothing listens there: Redis is "down"
    limiter = RedisRateLimiter(client, limit=3, window=60, prefix=redis_prefix)
    try:
        with caplog.at_level(logging.WARNING, logger="c360.ratelimit"):
            in_memory = await limiter.hit("k")
            client.connection_pool.connection_kwargs["port"] = 6379  # Redis is "back"
            await client.connection_pool.disconnect()
            client.connection_pool.reset()  # new connections, to the new port
            through_redis = await limiter.hit("k")
    finally:
        await limiter.aclose()
    # Redis never saw the first request: its count starts again.
    assert (in_memory.remaining, through_redis.remaining) == (2, 2)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "rate limiting in memory, per worker",
        "rate limiting through Redis again",
    ]


def test_the_settings_choose_the_limiter() -> None:
    def built(**values: Any) -> object:
        return build_rate_limiter(Settings(environment=Environment.TEST, **values))

    assert built(rate_limit_requests=0) is None
    assert isinstance(built(), MemoryRateLimiter)
    redis_limiter = built(redis_url=REDIS_URL, rate_limit_requests=7)
    assert isinstance(redis_limiter, RedisRateLimiter) and redis_limiter.limit == 7


# --- over HTTP --------------------------------------------------------------------------


@pytest.fixture
async def workers() -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two GraphQL apps, as two workers would run them, allowing 2 requests a minute."""
    engine = create_engine("sqlite+aiosqlite://")  # `{ __typename }` never reaches it
    settings = Settings(
        database_url="sqlite+aiosqlite://",
        environment=Environment.TEST,
        rate_limit_requests=2,
        rate_limit_window_seconds=60,
    )
    recorder = AccessRecorder(engine)
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=create_graphql_app(
                    engine=engine,
                    settings=settings,
                    recorder=recorder,
                    authenticate=_authenticate_by_name,
                )
            ),
            base_url="http://c360.test",
        )
        for _ in range(2)
    ]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()
        await recorder.close()
        await engine.dispose()


# Bearer credentials and the principals they stand for (authentication itself is
# tested in tests/auth/ and tests/test_http_authentication.py).
_PRINCIPALS = {"alpha": "token:1", "beta": "token:2", "shared-secret-token": "token:3"}


async def _authenticate_by_name(request: Any) -> Principal:
    credentials = request.headers.get("authorization", "").removeprefix("Bearer ")
    if credentials not in _PRINCIPALS:
        raise AuthenticationError(AuthFailure.MISSING, "no known credentials")
    return Principal(subject=_PRINCIPALS[credentials], role=Role.TELLER, scopes=frozenset())


async def ask(client: httpx.AsyncClient, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)


async def test_over_the_limit_the_answer_is_429_with_retry_after(
    workers: list[httpx.AsyncClient],
) -> None:
    client = workers[0]
    first, second, third = [await ask(client, "alpha") for _ in range(3)]
    assert (first.status_code, first.headers["RateLimit-Remaining"]) == (200, "1")
    assert (second.status_code, second.headers["RateLimit-Remaining"]) == (200, "0")
    assert second.headers["RateLimit-Limit"] == "2"
    assert third.status_code == 429
    assert 1 <= int(third.headers["Retry-After"]) <= 60
    assert third.headers["RateLimit-Remaining"] == "0"
    [error] = third.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED"}
    assert error["message"].startswith("Too many requests: at most 2 in the window")
    # Another principal has its own budget; so has an address failing to authenticate.
    assert (await ask(client, "beta")).status_code == 200
    assert (await ask(client)).status_code == 401


async def test_two_apps_sharing_redis_share_a_token_budget(
    workers: list[httpx.AsyncClient], redis_prefix: str
) -> None:
    limiters = []
    for client in workers:
        app: Any = client._transport.app  # type: ignore[attr-defined]
        app.rate_limit.limiter = RedisRateLimiter(
            Redis.from_url(REDIS_URL), limit=3, window=60, prefix=redis_prefix
        )
        limiters.append(app.rate_limit.limiter)
    try:
        statuses = [
            (await ask(workers[i % 2], "shared-secret-token")).status_code for i in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        redis = Redis.from_url(REDIS_URL)
        try:
            keys = [key.decode() async for key in redis.scan_iter(match=redis_prefix + "*")]
        finally:
            await redis.aclose()
        assert len(keys) == 1
        # Keyed by the principal, never by the credential.
        assert keys[0].endswith("sub:token:3")
        assert "shared-secret-token" not in keys[0]
    finally:
        for limiter in limiters:
            await limiter.aclose()
