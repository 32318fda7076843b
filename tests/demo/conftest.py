"""A small demo load per database backend, shared by the demo tests, and its in-memory twin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from demo_support import DEMO_CUSTOMERS, DEMO_SECRET, DEMO_SEED
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.database import create_engine
from c360.demo import DEMO_AS_OF, DemoLoadReport, load_demo_data
from c360.demo.dataset import DemoDataset, generate_dataset


@pytest.fixture(scope="session")
def demo_dataset() -> DemoDataset:
    """What ``load_demo_data`` writes for the test arguments, generated without a database."""
    return generate_dataset(
        customers=DEMO_CUSTOMERS, seed=DEMO_SEED, secret_key=DEMO_SECRET, as_of=DEMO_AS_OF
    )


@pytest.fixture(scope="session")
async def demo_load(database_factory: object) -> AsyncIterator[tuple[AsyncEngine, DemoLoadReport]]:
    """A database on the backend under test with the demo data loaded once."""
    url = await asyncio.to_thread(database_factory.create)  # type: ignore[attr-defined]
    engine = create_engine(url)
    report = await load_demo_data(
        engine, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, secret_key=DEMO_SECRET
    )
    yield engine, report
    await engine.dispose()


@pytest.fixture(scope="session")
def demo_engine(demo_load: tuple[AsyncEngine, DemoLoadReport]) -> AsyncEngine:
    return demo_load[0]
