"""``publish``: an event goes out when, and only when, the write's transaction commits.

- PostgreSQL: ``SELECT pg_notify(channel, message)`` inside the transaction. PostgreSQL
  delivers a notification at commit, to every listening process, and drops it on
  rollback; it also drops one of two identical notifications in one transaction, so
  two identical events are published once.
- SQLite (one process): the event waits on the connection and is handed to this
  process's hubs after the COMMIT succeeded; a ROLLBACK drops it. Both ways of
  committing are covered: the driver-level ``COMMIT`` statement the services' SQLite
  write path issues after ``BEGIN IMMEDIATE`` (delivered as soon as it succeeds), and
  SQLAlchemy's own ``commit()`` (delivered when the connection begins its next
  transaction or goes back to the pool: only then is it certain the COMMIT went
  through). A rolled-back SAVEPOINT does not take back what was published inside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, event, func, select
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.events import local
from c360.events.model import CustomerEvent, EventKind

__all__ = ["CHANNEL", "publish", "publish_row"]

# One channel for every customer: a listener filters by customer id in memory, which
# costs less than a LISTEN per customer on the one shared connection.
CHANNEL = "c360_customer_events"

_PENDING = "c360.events.pending"  # published in the open transaction
_COMMITTED = "c360.events.committed"  # SQLAlchemy sent COMMIT; delivered once it returned
_COMMIT_STATEMENTS = frozenset({"COMMIT", "END", "COMMIT TRANSACTION", "END TRANSACTION"})
_LONGEST_END = 40  # longer statements neither commit nor roll back the transaction


async def publish(conn: AsyncConnection, event: CustomerEvent) -> None:
    """Send ``event`` to every subscriber of its customer once ``conn``'s transaction commits.

    Call it inside the write's own transaction, after the rows it describes are written.
    """
    if not conn.in_transaction():
        raise RuntimeError("publish() belongs inside the transaction of the write it reports")
    message = event.encode()  # refuses an oversized event before anything is sent
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_notify(CHANNEL, message)))
        return
    sync_connection = conn.sync_connection
    assert sync_connection is not None  # in_transaction() implies a live connection
    _listen(sync_connection.engine)
    sync_connection.info.setdefault(_PENDING, []).append(event)


# SQLite: hold back until commit -------------------------------------------------------


async def publish_row(
    conn: AsyncConnection,
    kind: EventKind,
    entity_type: str,
    row: Row[Any],
    *,
    at: dt.datetime,
    **data: str | None,
) -> None:
    """``publish`` the event of a customer-owned row just written (its ``id`` and
    ``customer_id``), with a few small facts as ``data``."""
    await publish(
        conn,
        CustomerEvent(
            customer_id=int(row.customer_id),
            kind=kind,
            entity_type=entity_type,
            entity_id=int(row.id),
            occurred_at=at,
            data=data,
        ),
    )


def _listen(engine: Engine) -> None:
    if event.contains(engine, "after_cursor_execute", _after_statement):
        return
    event.listen(engine, "after_cursor_execute", _after_statement)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "handle_error", _on_error)

    key = local.key(engine.url)

    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info.pop(_PENDING, None)
            local.deliver(key, record.info.pop(_COMMITTED, []))

    event.listen(engine.pool, "checkin", on_checkin)


def _after_statement(conn: Connection, *args: Any) -> None:
    # The driver-level transaction of c360's SQLite write path: BEGIN IMMEDIATE ... COMMIT.
    statement: str = args[1]
    if len(statement) > _LONGEST_END or not conn.info.get(_PENDING):
        return  # the common case, decided without copying the statement
    statement = statement.strip().upper()
    if statement in _COMMIT_STATEMENTS:
        _deliver(conn.engine, conn.info.pop(_PENDING, []))
    elif statement.startswith("ROLLBACK") and " TO " not in statement:
        conn.info.pop(_PENDING, None)


def _on_commit(conn: Connection) -> None:
    # Fired before the COMMIT is sent: it may still fail (``_on_error``).
    pending = conn.info.pop(_PENDING, [])
    if pending:
        conn.info.setdefault(_COMMITTED, []).extend(pending)


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)


def _on_begin(conn: Connection) -> None:
    _deliver(conn.engine, conn.info.pop(_COMMITTED, []))


def _on_error(context: ExceptionContext) -> None:
    # Among them a failed COMMIT: what it would have published never happened.
    if context.connection is not None and not context.connection.invalidated:
        context.connection.info.pop(_COMMITTED, None)


def _deliver(engine: Engine, events: list[CustomerEvent]) -> None:
    local.deliver(local.key(engine.url), events)
