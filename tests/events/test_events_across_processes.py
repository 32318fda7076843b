"""The issue's promise: with real ``c360 serve`` processes on PostgreSQL, a websocket
subscriber gets an event within one second of a mutation made through another process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from events_support import (
    EARN,
    Member,
    Members,
    auth_headers,
    earn_input,
    register_admin,
    ws_client,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server import running_server  # isort: skip

from c360.database import create_engine

pytestmark = pytest.mark.slow

MUTATIONS = 5
MAX_LATENCY_SECONDS = 1.0


@pytest.fixture(scope="module")
def database(database_factory: Any, database_backend: str) -> str:
    if database_backend != "postgresql":
        pytest.skip("several processes share events through PostgreSQL only")
    url: str = database_factory.create()
    return url


@pytest.fixture(scope="module")
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def members(engine: AsyncEngine) -> Members:
    return Members(engine)


async def earn_and_time_the_event(
    subscriber_url: str, writer_url: str, member: Member
) -> list[float]:
    """Earn ``MUTATIONS`` times through ``writer_url``, each on a new HTTP connection;
    the seconds from sending each mutation to receiving its event on ``subscriber_url``."""
    latencies = []
    async with ws_client(subscriber_url) as client:
        await client.live("1", member)
        for attempt in range(MUTATIONS):
            key = f"{writer_url}-{attempt}"
            started = time.monotonic()
            async with httpx.AsyncClient(base_url=writer_url) as http:
                response = await http.post(
                    "/graphql",
                    json={"query": EARN, "variables": earn_input(member, 10, key)},
                    headers=auth_headers(writer_url),
                )
            event = await client.event("1")
            latencies.append(time.monotonic() - started)
            booked = response.json()["data"]["earnPoints"]
            assert booked["__typename"] == "PointsEntrySuccess", booked
            assert (event["kind"], event["entityId"]) == ("POINTS_EARNED", booked["entry"]["id"])
    return latencies


async def test_an_event_crosses_from_one_server_process_to_another(
    engine: AsyncEngine, members: Members
) -> None:
    member = await members.new()
    with (
        running_server(database_url=engine.url.render_as_string(False)) as subscriber_url,
        running_server(database_url=engine.url.render_as_string(False)) as writer_url,
    ):
        for url in (subscriber_url, writer_url):
            await register_admin(url, engine.url.render_as_string(False))
        latencies = await earn_and_time_the_event(subscriber_url, writer_url, member)
    print(f"\ntwo processes: event latency max {max(latencies) * 1000:.0f} ms")
    assert max(latencies) < MAX_LATENCY_SECONDS, latencies


async def listener_connections(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'c360-events' AND datname = current_database()"
            )
        )
    return int(count or 0)


async def test_events_reach_subscribers_with_two_uvicorn_workers(
    engine: AsyncEngine, members: Members
) -> None:
    member = await members.new()
    with running_server("--workers", "2", database_url=engine.url.render_as_string(False)) as url:
        await register_admin(url, engine.url.render_as_string(False))
        # Each mutation opens a new connection, which either worker may accept.
        latencies = await earn_and_time_the_event(url, url, member)
        # One LISTEN connection per worker, however many subscribers: here, several.
        async with ws_client(url) as first, ws_client(url) as second:
            await first.live("1", member)
            await second.live("1", member)
            await second.live("2", member)
            # (Polled: a worker's listener connects in the background as it starts.)
            for _ in range(100):
                if (listening := await listener_connections(engine)) == 2:
                    break
                await asyncio.sleep(0.1)
            assert listening == 2
    print(f"\n--workers 2: event latency max {max(latencies) * 1000:.0f} ms")
    assert max(latencies) < MAX_LATENCY_SECONDS, latencies
