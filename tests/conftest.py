"""Shared fixtures: every test that touches the database runs on SQLite and on PostgreSQL.

``database_url`` is parametrised over both backends. The PostgreSQL run creates a
database of its own on the server at ``C360_TEST_POSTGRES_URL`` (default: the local
trust-auth server) and drops it at the end. Outside CI an unreachable PostgreSQL
skips those tests; in CI (``CI=true``) it fails them.

Select one backend with ``pytest --db sqlite`` or ``--db postgresql``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from c360 import migrations
from c360.database import create_engine

BACKENDS = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL = os.environ.get(
    "C360_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
# Tests hash with a fixed key so that expected hashes can be computed in tests.
TEST_SECRET_KEY = "c360-test-secret"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=[*BACKENDS, "all"],
        default="all",
        help="database backend(s) to run database tests on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        backends = BACKENDS if chosen == "all" else (chosen,)
        metafunc.parametrize("database_backend", backends, scope="session")


@pytest.fixture(scope="session", autouse=True)
def _test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    os.environ["C360_SECRET_KEY"] = TEST_SECRET_KEY
    os.environ["C360_ENVIRONMENT"] = "test"
    # An empty model directory: a developer's ./models must not change what tests see.
    os.environ["C360_MODEL_DIR"] = str(tmp_path_factory.mktemp("no-models"))
    yield


def _psycopg_url(async_url: str) -> str:
    return make_url(async_url).set(drivername="postgresql+psycopg").render_as_string(False)


def create_postgres_database() -> str:
    """Create an empty, uniquely named database and return its asyncpg URL."""
    import psycopg

    admin = make_url(POSTGRES_ADMIN_URL)
    name = f"c360_test_{uuid.uuid4().hex[:10]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(False)
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {admin.host}:{admin.port} is unreachable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return admin.set(database=name).render_as_string(False)


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    conninfo = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class DatabaseFactory:
    """Creates new databases on one backend and drops them when the session ends.

    Test modules that write their own data take a database of their own from it
    (usually in a module-scoped fixture) so that they never see each other's rows.
    """

    def __init__(self, backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.backend = backend
        self._tmp_path_factory = tmp_path_factory
        self._postgres_urls: list[str] = []

    def create(self, *, migrated: bool = True) -> str:
        if self.backend == "sqlite":
            path: Path = self._tmp_path_factory.mktemp("sqlite") / "c360.db"
            url = f"sqlite+aiosqlite:///{path}"
        else:
            url = create_postgres_database()
            self._postgres_urls.append(url)
        if migrated:
            migrations.upgrade(url)
        return url

    def drop_all(self) -> None:
        for url in self._postgres_urls:
            drop_postgres_database(url)


@pytest.fixture(scope="session")
def database_factory(
    database_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(database_backend, tmp_path_factory)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def empty_database_url(database_factory: DatabaseFactory) -> str:
    """A URL of a new, empty (not migrated) database on the backend under test."""
    return database_factory.create(migrated=False)


@pytest.fixture(scope="session")
def database_url(empty_database_url: str) -> str:
    """A database migrated to the newest revision, shared by the session's tests: read-only use."""
    migrations.upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
