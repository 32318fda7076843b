"""Columns in the generator's form (see ``tables.py``) -> the values each database stores.

Bulk writes skip SQLAlchemy's type processing, so this module does what the column types
would: SQLite gets naive UTC text timestamps, ISO date text and integer cents; asyncpg
gets aware datetimes, dates and Decimals. ``tests/demo/test_encode.py`` checks every
column type against SQLAlchemy's own bind processors.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
from sqlalchemy import JSON, Boolean, Date, Integer, types

from c360.database import Money, UtcDateTime
from c360.demo.tables import TableData
from c360.models import Base

_SQLITE_DATETIME_LENGTH = 26  # "YYYY-MM-DD HH:MM:SS.ffffff"


def _nulls(values: Any) -> list[bool] | None:
    if isinstance(values, np.ma.MaskedArray):
        return np.ma.getmaskarray(values).tolist()
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return np.isnat(values).tolist()
    return None


def _with_nulls(values: list[Any], nulls: list[bool] | None) -> list[Any]:
    if nulls is None or not any(nulls):
        return values
    return [None if null else value for value, null in zip(values, nulls, strict=True)]


def _sqlite_datetimes(values: np.ndarray) -> list[str | None]:
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    # SQLAlchemy's SQLite format puts a space, not a "T", between date and time.
    characters = text.astype(f"<U{_SQLITE_DATETIME_LENGTH}").view(np.uint32)
    characters = characters.reshape(len(values), _SQLITE_DATETIME_LENGTH)
    characters[:, 10] = ord(" ")
    return characters.view(f"<U{_SQLITE_DATETIME_LENGTH}").ravel().tolist()


def _postgresql_datetimes(values: np.ndarray) -> list[dt.datetime | None]:
    naive = values.astype("datetime64[us]").tolist()
    return [None if value is None else value.replace(tzinfo=dt.UTC) for value in naive]


def _cents_to_decimal(cents: list[int]) -> list[Decimal]:
    return [Decimal(value).scaleb(-2) for value in cents]


def _plain(values: Any) -> list[Any]:
    if isinstance(values, np.ma.MaskedArray):
        return values.filled(0).tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values)


def encode_column(values: Any, column_type: types.TypeEngine[Any], dialect: str) -> list[Any]:
    """One column's values as ``dialect`` ("sqlite" or "postgresql") stores them."""
    nulls = _nulls(values)
    if isinstance(column_type, UtcDateTime):
        stored = _sqlite_datetimes(values) if dialect == "sqlite" else _postgresql_datetimes(values)
        return _with_nulls(stored, nulls)
    if isinstance(column_type, Date):
        if dialect == "sqlite":
            return _with_nulls(
                np.datetime_as_string(values.astype("datetime64[D]")).tolist(), nulls
            )
        return values.astype("datetime64[D]").tolist()
    if isinstance(column_type, Money):
        cents = _plain(values)
        stored = cents if dialect == "sqlite" else _cents_to_decimal(cents)
        return _with_nulls(stored, nulls)
    if isinstance(column_type, JSON):
        return [orjson.dumps(value).decode() for value in values]
    if isinstance(column_type, Boolean | Integer):
        return _with_nulls(_plain(values), nulls)
    return _plain(values)


def stored_rows(table: TableData, dialect: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The table's column names and its rows, ready for ``executemany`` or ``COPY``."""
    sa_table = Base.metadata.tables[table.name]
    names = list(table.columns)
    encoded = [encode_column(table.columns[name], sa_table.c[name].type, dialect) for name in names]
    return names, list(zip(*encoded, strict=True))
