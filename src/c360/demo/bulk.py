"""Bulk writes of generated tables: asyncpg ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Both run inside the caller's transaction, so a failed load leaves nothing behind. Ids
come from the generator; on PostgreSQL each table's id sequence is then moved past them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.demo.encode import stored_rows
from c360.demo.tables import TableData

_SQLITE_BATCH = 50_000  # rows per executemany: progress granularity, not a limit
# What the load changes on a SQLite connection, and the value to restore afterwards.
_SQLITE_LOAD_PRAGMAS = {"synchronous": "OFF", "cache_size": "-262144"}

RowsWritten = Callable[[str, int, int], None]


async def write_tables(
    connection: AsyncConnection, tables: Iterable[TableData], on_rows: RowsWritten
) -> None:
    """Insert every table, in the order given (parents first), on ``connection``'s transaction."""
    dialect = connection.dialect.name
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if dialect == "postgresql":
        await _copy_postgresql(connection, driver, tables, on_rows)
    elif dialect == "sqlite":
        await _insert_sqlite(driver, tables, on_rows)
    else:
        raise ValueError(f"demo data can be bulk-loaded into SQLite or PostgreSQL, not {dialect}")


async def _copy_postgresql(
    connection: AsyncConnection, driver: Any, tables: Iterable[TableData], on_rows: RowsWritten
) -> None:
    for table in tables:
        columns, rows = stored_rows(table, "postgresql")
        on_rows(table.name, 0, len(rows))
        await driver.copy_records_to_table(table.name, records=rows, columns=columns)
        on_rows(table.name, len(rows), len(rows))
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE(MAX(id), 0) + 1, false) FROM {table.name}"
            )
        )


@asynccontextmanager
async def bulk_load_settings(connection: AsyncConnection) -> AsyncIterator[None]:
    """Around a bulk load's transaction: on SQLite, skip fsyncs and enlarge the page cache.

    A crash mid-load leaves an empty database either way (the load is one transaction);
    SQLite only lets the safety level change outside a transaction, hence a context of
    its own. The previous settings come back afterwards.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = (await connection.get_raw_connection()).driver_connection
    previous = {}
    for pragma, value in _SQLITE_LOAD_PRAGMAS.items():
        cursor = await driver.execute(f"PRAGMA {pragma}")
        previous[pragma] = (await cursor.fetchone())[0]
        await driver.execute(f"PRAGMA {pragma} = {value}")
    try:
        yield
    finally:
        for pragma, value in previous.items():
            await driver.execute(f"PRAGMA {pragma} = {value}")


async def _insert_sqlite(driver: Any, tables: Iterable[TableData], on_rows: RowsWritten) -> None:
    for table in tables:
        columns, rows = stored_rows(table, "sqlite")
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        on_rows(table.name, 0, len(rows))
        for start in range(0, len(rows), _SQLITE_BATCH):
            await driver.executemany(sql, rows[start : start + _SQLITE_BATCH])
            on_rows(table.name, min(start + _SQLITE_BATCH, len(rows)), len(rows))
