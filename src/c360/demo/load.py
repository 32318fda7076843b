"""Load generated demo data into an empty database."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360.demo.bulk import bulk_load_settings, write_tables
from c360.demo.dataset import Progress, generate_dataset
from c360.demo.timeline import DEMO_AS_OF
from c360.models import Customer, LoyaltyProgram, Partner, Product

WRITING = "writing {table}"


@dataclass(frozen=True)
class DemoLoadReport:
    customers: int
    rows_by_table: dict[str, int]
    seconds: float
    seed: int
    as_of: dt.date
    backend: str

    @property
    def rows_total(self) -> int:
        return sum(self.rows_by_table.values())


async def database_is_empty(engine: AsyncEngine) -> bool:
    """True when the database has no customer rows."""
    async with engine.connect() as connection:
        return not await _has_rows(connection, Customer)


async def _has_rows(connection: AsyncConnection, model: type) -> bool:
    return bool(await connection.scalar(select(exists().select_from(model))))


async def _refuse_unless_empty(connection: AsyncConnection) -> None:
    if await _has_rows(connection, Customer):
        raise ValueError(
            "the database already has customers: demo data loads into an empty database only"
        )
    for model in (Product, Partner, LoyaltyProgram):
        if await _has_rows(connection, model):
            raise ValueError(
                f"the database already has {model.__tablename__} rows: "
                "demo data brings its own catalogue"
            )


async def _analyse(engine: AsyncEngine) -> None:
    """Give the planner statistics for what was just written. Without them (autovacuum
    off, or not yet run) PostgreSQL guesses, and its generic plans for the batched reads
    scanned the ledger by date and the consents by partner: three times the database
    time of a teller's view. SQLite's planner does without."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("ANALYZE"))


async def load_demo_data(
    engine: AsyncEngine,
    *,
    customers: int,
    seed: int,
    secret_key: str,
    as_of: dt.date = DEMO_AS_OF,
    on_progress: Progress | None = None,
) -> DemoLoadReport:
    """Generate ``customers`` demo customers with everything related to them and insert them.

    Raises ``ValueError`` if the database already has customers (or a product catalogue).
    ``on_progress(stage, done, total)`` is called as work proceeds; generation runs in a
    worker thread, so it may be called from there.
    """
    started = time.perf_counter()
    async with engine.connect() as connection:
        await _refuse_unless_empty(connection)

    dataset = await asyncio.to_thread(
        generate_dataset,
        customers=customers,
        seed=seed,
        secret_key=secret_key,
        as_of=as_of,
        on_progress=on_progress,
    )

    def rows_written(table: str, done: int, total: int) -> None:
        if on_progress is not None:
            on_progress(WRITING.format(table=table), done, total)

    async with (
        engine.connect() as connection,
        bulk_load_settings(connection),
        connection.begin(),
    ):
        # Checked again in the writing transaction; on PostgreSQL this also opens it on
        # the driver connection that COPY then uses.
        await _refuse_unless_empty(connection)
        await write_tables(connection, dataset.tables.values(), rows_written)
    await _analyse(engine)
    return DemoLoadReport(
        customers=customers,
        rows_by_table=dataset.rows_by_table,
        seconds=time.perf_counter() - started,
        seed=seed,
        as_of=as_of,
        backend=engine.dialect.name,
    )
