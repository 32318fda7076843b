"""Batched writing of access-log rows, off the request path.

A request hands its record to ``AccessRecorder.record`` (no I/O, no await) and answers
at once; a background task writes what has gathered in one multi-row INSERT every
``flush_interval`` seconds or as soon as ``batch_size`` rows wait. ``close()`` writes
what is left (the app calls it at shutdown).

If the database refuses a batch, the rows stay queued and are retried on the next
flush. The queue is bounded (``max_pending`` rows): beyond it the oldest rows are
dropped and every drop is logged as an error, because an audit that silently stops is
worse than one that says it lost records.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.audit.models import AccessLogEntry

__all__ = ["AccessRecord", "AccessRecorder"]

logger = logging.getLogger("c360.audit")

access_log: Table = AccessLogEntry.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRecord:
    """One request's read of some customers."""

    customer_ids: Iterable[int]
    accessed_at: dt.datetime
    subject: str
    role: str
    partner_id: int | None
    field_groups: Iterable[str]
    operation_name: str | None
    operation_hash: str
    purpose: str | None
    request_id: str

    def rows(self) -> list[dict[str, object]]:
        groups = " ".join(sorted(set(self.field_groups)))
        return [
            {
                "customer_id": customer_id,
                "accessed_at": self.accessed_at,
                "subject": self.subject,
                "role": self.role,
                "partner_id": self.partner_id,
                "field_groups": groups,
                "operation_name": self.operation_name,
                "operation_hash": self.operation_hash,
                "purpose": self.purpose,
                "request_id": self.request_id,
            }
            for customer_id in sorted(set(self.customer_ids))
        ]


class AccessRecorder:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        flush_interval: float = 0.5,
        batch_size: int = 500,
        max_pending: int = 100_000,
    ) -> None:
        self._engine = engine
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._pending: deque[dict[str, object]] = deque()
        self._max_pending = max_pending
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self.dropped = 0

    def record(self, record: AccessRecord) -> None:
        """Queue a request's rows; never blocks and never fails the request."""
        rows = record.rows()
        if not rows:
            return
        self._pending.extend(rows)
        overflow = len(self._pending) - self._max_pending
        if overflow > 0:
            for _ in range(overflow):
                self._pending.popleft()
            self.dropped += overflow
            logger.error("access audit queue full: dropped %d oldest records", overflow)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        if len(self._pending) >= self._batch_size:
            self._wake.set()

    async def flush(self) -> None:
        """Write everything queued so far."""
        async with self._flush_lock:
            while self._pending:
                batch = [
                    self._pending.popleft()
                    for _ in range(min(len(self._pending), self._batch_size))
                ]
                try:
                    async with self._engine.begin() as conn:
                        await conn.execute(insert(access_log), batch)
                except Exception:
                    # Put the batch back, in order, and try again on the next flush.
                    self._pending.extendleft(reversed(batch))
                    logger.exception(
                        "could not write %d access audit records; will retry", len(batch)
                    )
                    return

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._flush_interval)
            self._wake.clear()
            await self.flush()
