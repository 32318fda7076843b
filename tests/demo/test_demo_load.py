"""Loading refuses a database that already has customers, and leaves ids ready for new rows."""

from __future__ import annotations

import asyncio

import pytest
from demo_support import DEMO_CUSTOMERS, DEMO_SECRET
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.database import create_engine, create_session_factory
from c360.demo import DemoLoadReport, database_is_empty, load_demo_data
from c360.models import Base, Partner


async def test_loading_refuses_a_database_with_customers(demo_engine: AsyncEngine) -> None:
    assert not await database_is_empty(demo_engine)
    with pytest.raises(ValueError, match="already has customers"):
        await load_demo_data(demo_engine, customers=5, seed=1, secret_key=DEMO_SECRET)


async def test_report_counts_what_is_in_the_database(
    demo_load: tuple[AsyncEngine, DemoLoadReport],
) -> None:
    engine, report = demo_load
    assert report.customers == DEMO_CUSTOMERS
    assert report.seconds > 0
    async with engine.connect() as connection:
        for name, expected in report.rows_by_table.items():
            table = Base.metadata.tables[name]
            assert await connection.scalar(select(func.count()).select_from(table)) == expected, (
                name
            )
    related = report.rows_total - report.rows_by_table["customer"]
    assert 12 * DEMO_CUSTOMERS < related < 25 * DEMO_CUSTOMERS


async def test_new_rows_get_ids_after_the_loaded_ones(
    demo_load: tuple[AsyncEngine, DemoLoadReport], database_factory
) -> None:
    # A throwaway copy: this test writes.
    url = await asyncio.to_thread(database_factory.create)
    engine = create_engine(url)
    try:
        assert await database_is_empty(engine)
        report = await load_demo_data(engine, customers=3, seed=3, secret_key=DEMO_SECRET)
        assert not await database_is_empty(engine)
        async with create_session_factory(engine)() as session, session.begin():
            partner = Partner(code="newco", name="NewCo")
            session.add(partner)
        assert partner.id == report.rows_by_table["partner"] + 1
    finally:
        await engine.dispose()


async def test_invalid_arguments_are_refused_before_anything_is_written(database_factory) -> None:
    url = await asyncio.to_thread(database_factory.create)
    engine = create_engine(url)
    try:
        with pytest.raises(ValueError, match="customers"):
            await load_demo_data(engine, customers=0, seed=1, secret_key=DEMO_SECRET)
        assert await database_is_empty(engine)
    finally:
        await engine.dispose()


async def test_loaded_tables_have_planner_statistics(demo_engine: AsyncEngine) -> None:
    # Without them PostgreSQL's generic plans for the batched reads picked the wrong
    # indexes (autovacuum may be off, and would come later anyway).
    if demo_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's planner works without statistics")
    async with demo_engine.connect() as connection:
        unanalysed = (
            (
                await connection.execute(
                    text(
                        "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0"
                        " AND last_analyze IS NULL AND last_autoanalyze IS NULL"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert unanalysed == []
