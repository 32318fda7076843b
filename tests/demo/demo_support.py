"""What the demo tests share: the test load's arguments, and one canonical form for rows
whether generated in memory or read back from a database."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.demo.dataset import DemoDataset
from c360.demo.encode import stored_rows
from c360.demo.tables import TABLE_ORDER
from c360.models import Base

DEMO_CUSTOMERS = 150
DEMO_SEED = 7
DEMO_SECRET = "demo-test-secret"


def canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None, "timestamps must come back aware"
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    raise TypeError(f"no canonical form for {type(value).__name__}: {value!r}")


def _digest(rows: list[tuple[Any, ...]]) -> str:
    return hashlib.sha256(orjson.dumps([[canonical(v) for v in row] for row in rows])).hexdigest()


def dataset_digests(dataset: DemoDataset) -> dict[str, str]:
    """Per table, the digest of the rows as generated (PostgreSQL's encoding is the logical one)."""
    digests = {}
    for name in TABLE_ORDER:
        columns, rows = stored_rows(dataset.tables[name], "postgresql")
        order = [columns.index(c.name) for c in Base.metadata.tables[name].columns]
        json_columns = {
            i
            for i, c in enumerate(Base.metadata.tables[name].columns)
            if c.type.__class__.__name__ in ("JSON", "JSONB")
        }
        reordered = [
            tuple(
                orjson.loads(row[j]) if i in json_columns else row[j] for i, j in enumerate(order)
            )
            for row in rows
        ]
        digests[name] = _digest(reordered)
    return digests


async def database_digests(engine: AsyncEngine) -> dict[str, str]:
    """Per table, the digest of every row read back through SQLAlchemy's column types, by id."""
    digests = {}
    async with engine.connect() as connection:
        for name in TABLE_ORDER:
            table = Base.metadata.tables[name]
            rows = (await connection.execute(select(table).order_by(table.c.id))).all()
            digests[name] = _digest([tuple(row) for row in rows])
    return digests
