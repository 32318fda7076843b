"""Helpers for the write-mutation tests: a database of the module's own, its rows, and
what a table holds for a customer.

Rows built here take explicit ids (``factories.Rows``); the tables the mutations under
test write to get their rows from the mutations, so that PostgreSQL's id sequences and
the test's ids never collide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.graphql.context import Context
from c360.graphql.ids import encode_id
from factories import Rows


class World:
    """Customers and other rows of one module's database, built through one ``Rows``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.rows = Rows()
        self.now = self.rows.now

    async def customer(self, **overrides: Any) -> int:
        customer_id = self.rows.customer(**overrides)
        await self.rows.insert(self.engine)
        return customer_id

    async def insert(self) -> None:
        await self.rows.insert(self.engine)


def gid(type_name: str, pk: int) -> str:
    return encode_id(type_name, pk)


async def rows_of(engine: AsyncEngine, table: Table, **where: Any) -> list[Any]:
    """The rows of ``table`` matching ``column=value`` conditions, by id."""
    conditions = [table.c[name] == value for name, value in where.items()]
    async with engine.connect() as conn:
        stmt = select(table).where(*conditions).order_by(table.c.id)
        return list((await conn.execute(stmt)).all())


async def count_rows(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@contextmanager
def invisible(monkeypatch: pytest.MonkeyPatch, *customer_ids: int) -> Iterator[None]:
    """The caller may not see these customers (``Context.customer_visible`` says so)."""
    hidden = set(customer_ids)

    async def visible(self: Context, customer_id: int) -> bool:
        return customer_id not in hidden

    with monkeypatch.context() as patch:
        patch.setattr(Context, "customer_visible", visible)
        yield
