"""The application shell: health endpoint and routing."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from c360.app import create_app
from c360.settings import Settings


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=database_url))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c360") as client:
            yield client


async def test_healthz_answers_200_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_answers_503_when_the_database_does_not() -> None:
    # Nothing listens on port 1; the engine is created lazily, so the app still starts.
    app = create_app(Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none"))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c360") as client:
            response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_graphql_answers_post_without_a_trailing_slash(client: httpx.AsyncClient) -> None:
    # Answered by the GraphQL app (which wants a token), not redirected to /graphql/.
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_graphiql_is_not_served(client: httpx.AsyncClient) -> None:
    # Strawberry's GraphiQL page loads scripts from a public CDN: off until it can be packaged.
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in response.text.lower()


async def test_a_served_worker_freezes_its_warmed_caches_once_more(database_url: str) -> None:
    # What requests leave alive (plans, compiled SQL, the model) leaves the collector's way.
    app = create_app(Settings(database_url=database_url), freeze_again_after=0.05)
    async with LifespanManager(app):
        frozen = gc.get_freeze_count()
        warmed = [[n] for n in range(1000)]  # containers: what the collector tracks
        await asyncio.sleep(0.2)
        assert gc.get_freeze_count() >= frozen + len(warmed)
    gc.unfreeze()  # the rest of the test session collects as usual
