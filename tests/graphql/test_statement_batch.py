"""Reads batched into one statement give exactly the rows each would have given alone.

Every column type the loaders read is here: ids, strings, enums, booleans, dates,
timestamps, money, JSON (a list and nested values), and nulls of each; rows in the
statements' own order, limits and empty results included.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from gqltest import count_statements, new_database
from sqlalchemy import bindparam, event, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.customers.models import Customer
from c360.database import create_engine
from c360.graphql.db import RequestDatabase
from c360.holdings import repository as holdings
from c360.holdings.models import Holding, HoldingStatus, ProductCategory
from factories import Rows

customer = Customer.__table__
holding = Holding.__table__


@pytest.fixture(scope="module")
async def engine(database_factory: Any) -> AsyncIterator[AsyncEngine]:
    rows = Rows()
    card = rows.product("CARD", ProductCategory.CARD)
    for n in range(6):
        c = rows.customer(
            given_name=f"Ána {n}" if n % 2 else None,
            interests=["reading", {"nested": [1, 2.5, None]}] if n % 3 == 0 else [],
            birth_date=dt.date(1980 + n, 2, 28) if n != 4 else None,
            household_size=None if n == 2 else n,
        )
        for k in range(n % 3):
            rows.holding(
                c,
                card,
                balance=str(Decimal("-1234.50") + k),
                credit_limit=None if k else Decimal("5000.00"),
                status=HoldingStatus.ACTIVE if k else HoldingStatus.CLOSED,
                opened_date=dt.date(2020, 1, 1 + k),
            )
    url = await new_database(database_factory)
    engine = create_engine(url)
    await rows.insert(engine)
    yield engine
    await engine.dispose()


def _statements() -> list[tuple[Any, dict[str, Any] | None]]:
    by_ids = select(customer).where(customer.c.id.in_(bindparam("ids", expanding=True)))
    return [
        (by_ids.order_by(customer.c.id.desc()), {"ids": [1, 2, 3, 4, 5, 6]}),
        (by_ids.order_by(customer.c.id), {"ids": [2, 999]}),
        (by_ids, {"ids": [999]}),  # no rows
        (holdings._holdings(False), {"ids": [1, 2, 3, 5, 6]}),
        (holdings._holdings(True), {"ids": [2, 3, 6], "statuses": [HoldingStatus.ACTIVE]}),
        (select(customer.c.id, customer.c.birth_date).order_by(customer.c.id).limit(2), None),
        (
            select(holding.c.customer_id, func.count(), func.sum(holding.c.balance))
            .group_by(holding.c.customer_id)
            .order_by(holding.c.customer_id),
            None,
        ),
    ]


async def _read_all(engine: AsyncEngine, *, batch: bool) -> list[list[tuple[Any, ...]]]:
    db = RequestDatabase(engine, batch_reads=batch)
    try:
        async with db.connect() as conn:
            results = await asyncio.gather(
                *(conn.execute(statement, params) for statement, params in _statements())
            )
        return [[tuple(row) for row in result.all()] for result in results]
    finally:
        await db.close()


async def test_a_batch_reads_the_same_rows_and_values_as_separate_statements(
    engine: AsyncEngine,
) -> None:
    alone = await _read_all(engine, batch=False)
    with count_statements(engine) as log:
        together = await _read_all(engine, batch=True)
    assert len(log) == 1
    assert together == alone
    # Not only equal but of the same Python types (a Decimal stays a Decimal, an enum an
    # enum, a timestamp aware, JSON parsed), nulls included.
    for rows_alone, rows_together in zip(alone, together, strict=True):
        for row_alone, row_together in zip(rows_alone, rows_together, strict=True):
            assert [type(value) for value in row_together] == [type(v) for v in row_alone]
    assert any(row[-1] is not None for row in alone[6])  # the sums were read
    first = alone[0][-1]  # customer 1: interests with nested JSON
    assert ["reading", {"nested": [1, 2.5, None]}] in first


async def test_batched_rows_keep_their_column_names(engine: AsyncEngine) -> None:
    db = RequestDatabase(engine)
    try:
        async with db.connect() as conn:
            one, two = await asyncio.gather(
                conn.execute(holdings._holdings(False), {"ids": [3]}),
                conn.execute(select(customer.c.id, customer.c.interests).where(customer.c.id == 4)),
            )
        held = one.all()
        assert [row.product_code for row in held] == ["CARD", "CARD"]
        assert all(row.customer_id == 3 for row in held)
        assert two.one()._mapping == {"id": 4, "interests": ["reading", {"nested": [1, 2.5, None]}]}
    finally:
        await db.close()


async def test_an_unordered_union_all_travels_with_the_rest(engine: AsyncEngine) -> None:
    facts = union_all(
        select(customer.c.id, customer.c.display_name.label("text"), customer.c.created_at),
        select(holding.c.customer_id, holding.c.account_ref_masked, holding.c.created_at),
    )
    others = select(customer.c.id).order_by(customer.c.id)

    async def read(batch: bool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        db = RequestDatabase(engine, batch_reads=batch)
        try:
            async with db.connect() as conn:
                union, plain = await asyncio.gather(conn.execute(facts), conn.execute(others))
            return sorted(map(tuple, union.all()), key=repr), list(map(tuple, plain.all()))
        finally:
            await db.close()

    alone = await read(False)
    with count_statements(engine) as log:
        together = await read(True)
    assert len(log) == 1 and together == alone and len(alone[0]) == 6 + 6


async def test_statements_built_for_one_call_are_not_kept_alive(engine: AsyncEngine) -> None:
    # A statement carrying its own values (a search, say) is built per call: caching it
    # by identity would keep every one of them, and their memory, alive.
    from c360.graphql import statement_batch

    before = len(statement_batch._by_identity._entries)
    db = RequestDatabase(engine)
    try:
        async with db.connect() as conn:
            for n in range(40):
                one = select(customer.c.id).where(customer.c.id == n)
                await asyncio.gather(conn.execute(one), conn.execute(one.limit(1)))
    finally:
        await db.close()
    assert len(statement_batch._by_identity._entries) == before


async def test_the_combined_statement_is_sent_as_sqlalchemy_would_send_it(
    engine: AsyncEngine,
) -> None:
    # On PostgreSQL the combined statement goes out as its text, compiled once, with its
    # parameters through their types' bind processing (enum arrays, timestamps): the
    # driver must see exactly what executing the construct would have given it.
    from c360.graphql.statement_batch import batchable, combined_statement

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's combined statement is executed as a construct")
    since = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    statements = [
        (holdings._holdings(True), {"ids": [2, 3, 6], "statuses": [HoldingStatus.ACTIVE]}),
        (select(customer.c.id).where(customer.c.created_at > bindparam("since")), {"since": since}),
    ]
    prepared = [batchable(each, params, engine.dialect) for each, params in statements]
    combined = combined_statement([item for item, _ in prepared], engine.dialect)  # type: ignore[misc]
    params = {
        f"{prefix}__b{index}": value
        for prefix, (_, values) in zip(combined.prefixes, prepared, strict=True)  # type: ignore[misc]
        for index, value in enumerate(values)
    }
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, tuple(parameters)))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with engine.connect() as conn:
            as_construct = (await conn.execute(combined.statement, params)).one()
            assert combined.text is not None
            as_text = (
                await conn.exec_driver_sql(combined.text, combined.driver_parameters(params))
            ).one()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert sent[0] == sent[1]
    assert as_text == as_construct
    assert ["active"] in sent[0][1]  # the enum array went out as its stored strings
