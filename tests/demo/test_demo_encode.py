"""The bulk path stores exactly what SQLAlchemy's column types would have stored."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite

from c360.demo.dataset import DemoDataset
from c360.demo.encode import encode_column
from c360.demo.tables import TABLE_ORDER
from c360.models import Base

DIALECTS = {"sqlite": aiosqlite.dialect(), "postgresql": asyncpg.dialect()}


@pytest.mark.parametrize("dialect_name", sorted(DIALECTS))
def test_every_column_matches_sqlalchemys_bind_processing(
    demo_dataset: DemoDataset, dialect_name: str
) -> None:
    dialect = DIALECTS[dialect_name]
    postgres_form = "postgresql"  # the logical values: aware datetimes, dates, Decimals
    for name in TABLE_ORDER:
        table = demo_dataset.tables[name]
        for column in Base.metadata.tables[name].columns:
            values = table.columns[column.name]
            ours = encode_column(values, column.type, dialect_name)
            logical = encode_column(values, column.type, postgres_form)
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if isinstance(column.type, JSON):
                theirs = [orjson.loads(processor(orjson.loads(v))) for v in logical]
                ours = [orjson.loads(v) for v in ours]
            else:
                theirs = [processor(v) if processor and v is not None else v for v in logical]
            assert ours == theirs, f"{name}.{column.name}"
