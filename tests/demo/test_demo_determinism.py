"""Same (customers, seed, as_of): the same rows, ids included, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio

from demo_support import DEMO_CUSTOMERS, DEMO_SECRET, DEMO_SEED, database_digests, dataset_digests

from c360.database import create_engine
from c360.demo import DEMO_AS_OF, load_demo_data
from c360.demo.dataset import DemoDataset, generate_dataset


async def test_database_holds_exactly_the_generated_rows(
    demo_engine, demo_dataset: DemoDataset
) -> None:
    # Both backends are compared with the same in-memory rows, so they hold the same data.
    assert await database_digests(demo_engine) == dataset_digests(demo_dataset)


async def test_loading_the_same_seed_twice_gives_identical_databases(
    demo_engine, database_factory
) -> None:
    url = await asyncio.to_thread(database_factory.create)
    engine = create_engine(url)
    try:
        await load_demo_data(
            engine, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, secret_key=DEMO_SECRET
        )
        assert await database_digests(engine) == await database_digests(demo_engine)
    finally:
        await engine.dispose()


def test_generation_repeats_and_depends_on_the_seed(demo_dataset: DemoDataset) -> None:
    again = generate_dataset(
        customers=DEMO_CUSTOMERS, seed=DEMO_SEED, secret_key=DEMO_SECRET, as_of=DEMO_AS_OF
    )
    other = generate_dataset(
        customers=DEMO_CUSTOMERS, seed=DEMO_SEED + 1, secret_key=DEMO_SECRET, as_of=DEMO_AS_OF
    )
    expected = dataset_digests(demo_dataset)
    assert dataset_digests(again) == expected
    different = dataset_digests(other)
    assert different["customer"] != expected["customer"]
    assert different["holding"] != expected["holding"]
    # The catalogue is the same whatever the seed.
    assert different["product"] == expected["product"]
