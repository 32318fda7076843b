"""Engine and session factory, the declarative ``Base``, and the column types every domain shares.

Two databases are first-class: SQLite (the embedded default, a file) and PostgreSQL
(production). The column types below hide the two places where they differ in ways
that matter to us: time zones and exact money.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, event, types
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

# Stable constraint names, so that Alembic migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on both databases.

    SQLite has no time zone type and hands back naive datetimes; this type refuses
    naive input and always returns aware UTC values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: c360 stores aware UTC timestamps only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from an aggregate
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is dt.UTC:  # asyncpg's answer: already what we return (a hot path)
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Money(types.TypeDecorator[Decimal]):
    """An exact amount with two decimal places.

    PostgreSQL stores ``NUMERIC(18, 2)``. SQLite has no exact decimal type (its
    NUMERIC is a float underneath, and so are its SUMs), so there the amount is
    stored as an integer count of minor units (cents), which sums exactly.
    """

    impl = types.Numeric(18, 2)
    cache_ok = True
    _SCALE = Decimal(100)
    _QUANTUM = Decimal("0.01")

    def load_dialect_impl(self, dialect: Dialect) -> types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(types.Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        amount = Decimal(value).quantize(self._QUANTUM)
        return int(amount * self._SCALE) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._SCALE).quantize(self._QUANTUM)
        return Decimal(value).quantize(self._QUANTUM)


def str_enum(enum_cls: type[Enum], length: int = 32) -> types.Enum:
    """Store an enum by its value as a plain string column (no native enum type to migrate)."""
    return types.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


# SQLite only treats ``INTEGER PRIMARY KEY`` as its fast rowid alias; BIGINT would not be.
IdType = BigInteger().with_variant(Integer(), "sqlite")

# Reusable column shapes, in the manner of the SQLAlchemy 2 docs.
int_pk = Annotated[int, mapped_column(IdType, primary_key=True)]
utc_datetime = Annotated[dt.datetime, mapped_column(UtcDateTime())]
money = Annotated[Decimal, mapped_column(Money())]
str_code = Annotated[str, mapped_column(String(32))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine for SQLite or PostgreSQL with the settings c360 relies on."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        # Sent in the connection's start-up message, so it costs no round trip. A read
        # batched into one statement (c360.graphql.statement_batch) joins a dozen
        # subqueries over `= ANY($n)` arrays; PostgreSQL's default would keep planning it
        # afresh on every execution (its generic plan guesses 10 array items and looks
        # dearer than a custom plan for one), which took most of the server's CPU for a
        # teller's request. Every statement c360 prepares is keyed by indexed columns, so
        # the generic plan is the one that is wanted.
        connect_args={"server_settings": {"plan_cache_mode": "force_generic_plan"}},
    )
    _ping_idle_connections(engine)
    return engine


# A pooled connection used this recently is taken as alive without a ping; after a
# longer rest it is pinged, and a dead one is replaced before anyone uses it.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """``pool_pre_ping``, but only for connections that rested in the pool.

    SQLAlchemy's own pre-ping costs a round trip on every checkout, which under load
    is most of the cost of a one-statement request. Like HikariCP's bypass window, a
    connection checked in moments ago skips it. If the server restarts under load,
    the requests in flight fail either way; SQLAlchemy then invalidates the whole pool
    on the first disconnect error, so the next checkouts connect afresh.
    """
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    def rested(_dbapi_connection: Any, record: ConnectionPoolEntry, *_args: Any) -> None:
        record.info["c360_idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("c360_idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")

    event.listen(sync_engine, "connect", rested)
    event.listen(sync_engine, "checkin", rested)
    event.listen(sync_engine, "checkout", checkout)


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside a writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
