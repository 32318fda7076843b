"""Helpers for the GraphQL tests: the app called in-process over HTTP, and a statement counter.

A test module builds its own rows (``factories.Rows``) in a database of its own, then
asks ``serve(url)`` for an ``Api`` over the real ASGI app. (Not a conftest.py: pytest
imports every conftest as the module ``conftest``, so helpers there cannot be imported.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.audit.recorder import AccessRecorder
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope
from c360.database import create_engine
from c360.graphql.http import create_graphql_app
from c360.settings import Environment, Settings


class Api:
    """A client of ``/graphql`` for tests."""

    def __init__(
        self, client: httpx.AsyncClient, engine: AsyncEngine, recorder: AccessRecorder
    ) -> None:
        self.client = client
        self.engine = engine
        self.recorder = recorder  # the access audit: flush() writes what it queued

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query, "variables": variables})

    async def result(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = await self.result(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def errors(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The errors of a query that must fail."""
        body = await self.result(query, variables)
        assert body.get("errors"), body
        errors: list[dict[str, Any]] = body["errors"]
        return errors

    async def error_codes(self, query: str, variables: dict[str, Any] | None = None) -> set[str]:
        return {error["extensions"]["code"] for error in await self.errors(query, variables)}


async def new_database(database_factory: Any) -> str:
    """A fresh migrated database (the migrations run their own event loop, so in a thread)."""
    url: str = await asyncio.to_thread(database_factory.create)
    return url


def settings_for(url: str) -> Settings:
    # The secret key comes from C360_SECRET_KEY, which tests/conftest.py sets for the session.
    # No rate limit: a module (or a property test) may send thousands of requests a minute
    # from one client; tests/test_ratelimit.py covers the limiter.
    return Settings(database_url=url, environment=Environment.TEST, rate_limit_requests=0)


ADMIN = Principal(subject="test:admin", role=Role.ADMIN, scopes=frozenset(Scope))


def as_principal(principal: Principal) -> Any:
    """An authenticator that takes every request to come from ``principal``.

    For tests of everything but authentication itself (tests/auth/ and
    tests/graphql/test_access_*.py go through real tokens).
    """

    async def authenticate(_request: Any) -> Principal:
        return principal

    return authenticate


@asynccontextmanager
async def serve(url: str, *, principal: Principal = ADMIN) -> AsyncIterator[Api]:
    """The GraphQL app over a new engine on ``url``, called in-process as ``principal``."""
    engine = create_engine(url)
    recorder = AccessRecorder(engine)
    app = create_graphql_app(
        engine=engine,
        settings=settings_for(url),
        recorder=recorder,
        authenticate=as_principal(principal),
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://c360.test") as client:
            yield Api(client, engine, recorder)
    finally:
        await recorder.close()
        await engine.dispose()


class StatementLog:
    """The SQL statements an engine ran while the ``count_statements`` block was open."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[StatementLog]:
    log = StatementLog()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The access audit writes from a background task, off the request path, at
        # whatever moment its timer fires: not part of what a request costs.
        if not statement.startswith("INSERT INTO access_log"):
            log.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
