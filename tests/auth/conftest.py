"""A database per backend with two partners and two customers, shared by the auth tests.

Every test issues tokens of its own, so tests never depend on each other's rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from auth_support import AuthDatabase

from c360.auth import tokens
from c360.database import create_engine
from factories import Rows


@pytest.fixture(scope="session")
async def auth_db(database_factory: object) -> AsyncIterator[AuthDatabase]:
    url = await asyncio.to_thread(database_factory.create)  # type: ignore[attr-defined]
    engine = create_engine(url)
    rows = Rows()
    partner_ids = {
        "ACME": rows.partner("ACME", "Acme Travel"),
        "BETA": rows.partner("BETA", "Beta"),
    }
    customer_ids = (rows.customer(), rows.customer(given_name="Jan", family_name="Kowalski"))
    await rows.insert(engine)
    yield AuthDatabase(url, engine, partner_ids, customer_ids)
    await tokens.flush_last_used()
    await engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_token_caches() -> Iterator[None]:
    # The verified-token cache is per process; a test must not see another's entries.
    tokens.reset_caches()
    yield
    tokens.reset_caches()
