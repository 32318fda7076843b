"""The process's one LISTEN connection to PostgreSQL, kept open by reconnecting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

import asyncpg
from sqlalchemy.engine import URL

from c360.events.publish import CHANNEL

__all__ = ["PostgresListener"]

logger = logging.getLogger("c360.events")

# A half-open TCP connection never reports itself dead: ask now and then.
HEALTH_CHECK_SECONDS = 15.0
HEALTH_CHECK_TIMEOUT_SECONDS = 5.0
BACKOFF_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class PostgresListener:
    def __init__(
        self, url: URL, *, on_message: Callable[[str], None], on_lost: Callable[[], None]
    ) -> None:
        # asyncpg takes a plain libpq URL, without SQLAlchemy's "+asyncpg".
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_message = on_message
        self._on_lost = on_lost
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect and LISTEN in the background: a database that is down at startup must
        not keep the app from starting (its health check reports the database)."""
        self._task = asyncio.create_task(self._run(), name="c360-events-listener")

    async def wait_listening(self) -> None:
        await self._listening.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                connection = await asyncpg.connect(
                    self._dsn, server_settings={"application_name": "c360-events"}
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
                failures += 1
                logger.warning("events: cannot connect to listen (%s); retry in %s s", error, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            try:
                await self._listen(connection)
            finally:
                was_listening = self._listening.is_set()
                self._listening.clear()
                with suppress(Exception):
                    await asyncio.shield(connection.close(timeout=2))
            # Reached only when the connection was lost (stop() cancels instead).
            if was_listening:
                self._on_lost()

    async def _listen(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())

        def on_notification(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            self._on_message(payload)

        try:
            await connection.add_listener(CHANNEL, on_notification)
        except (OSError, asyncpg.PostgresError):
            logger.warning("events: LISTEN failed", exc_info=True)
            return
        self._listening.set()
        logger.info("events: listening on %s", CHANNEL)
        while not lost.is_set():
            with suppress(TimeoutError):
                async with asyncio.timeout(HEALTH_CHECK_SECONDS):
                    await lost.wait()
                continue
            try:
                await connection.fetchval("SELECT 1", timeout=HEALTH_CHECK_TIMEOUT_SECONDS)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                break
        logger.warning("events: the LISTEN connection was lost; reconnecting")
