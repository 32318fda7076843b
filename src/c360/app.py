"""The ASGI application: ``/graphql`` and the health endpoint, over one database engine."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from c360.audit.recorder import AccessRecorder
from c360.auth import tokens
from c360.database import create_engine
from c360.events import EventHub
from c360.graphql.http import create_graphql_app
from c360.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# A health check that waits longer than a load balancer's probe is no answer at all.
HEALTH_CHECK_TIMEOUT_SECONDS = 2.0

# Young-generation collections after this many allocations instead of CPython's 700 (and
# older generations after 20 younger collections, not 10): a GraphQL response allocates
# hundreds of thousands of short-lived objects, freed by reference counting anyway.
SERVING_GC_THRESHOLDS = (20_000, 20, 20)

# How long a served worker runs before it freezes what is alive again: by then its caches
# (query plans, compiled SQL, the recommender's model) have filled, and they would
# otherwise be walked by every full collection, a pause of tens of milliseconds that
# lands on whichever requests are in flight.
FREEZE_AGAIN_AFTER_SECONDS = 30.0


def create_app(
    settings: Settings | None = None, *, freeze_again_after: float | None = None
) -> Starlette:
    """Build the application. Migrations are the caller's job (``c360 serve`` runs them).

    ``freeze_again_after``: seconds after start-up at which to ``gc.freeze()`` once more
    (``create_served_app``)."""
    settings = settings or get_settings()
    engine = create_engine(
        settings.database_url, pool_size=settings.database_pool_size, echo=settings.database_echo
    )

    recorder = AccessRecorder(engine)
    graphql_app = create_graphql_app(engine=engine, settings=settings, recorder=recorder)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # One hub per worker process: on PostgreSQL, its one LISTEN connection.
        event_hub = EventHub(engine)
        await event_hub.start()
        freezing = (
            None
            if freeze_again_after is None
            else asyncio.get_running_loop().call_later(freeze_again_after, _freeze)
        )
        try:
            yield
        finally:
            if freezing is not None:
                freezing.cancel()
            await recorder.close()  # the access records still queued
            await graphql_app.close()  # the rate limiter's Redis connections
            await tokens.flush_last_used()  # the tokens' last-use times still being written
            await event_hub.stop()
            await engine.dispose()

    async def healthz(_request: Request) -> JSONResponse:
        if await _database_answers(engine):
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET", "HEAD"]),
            # A Route, not a Mount: a Mount would redirect POST /graphql to /graphql/.
            Route("/graphql", graphql_app),
            # Subscriptions: the same app, over the graphql-transport-ws protocol.
            WebSocketRoute("/graphql", graphql_app),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    return app


def create_served_app() -> Starlette:
    """The app as ``c360 serve`` runs it: ``create_app`` plus garbage-collector settings
    for a long-running server (each uvicorn worker calls this factory once).

    The objects alive once the app is built (modules, the schema, SQLAlchemy's metadata)
    live as long as the process: ``gc.freeze()`` moves them out of the collector's way,
    so a collection walks only what requests allocated. Profiled on the 50-customer web
    list, the cyclic collector's time per request fell from about 28 ms to under 5 ms
    (see bench/README.md). It does so again ``FREEZE_AGAIN_AFTER_SECONDS`` later, once
    the caches that requests fill have filled.
    """
    app = create_app(freeze_again_after=FREEZE_AGAIN_AFTER_SECONDS)
    _freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
    return app


def _freeze() -> None:
    gc.collect()
    gc.freeze()


async def _database_answers(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(HEALTH_CHECK_TIMEOUT_SECONDS), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure to answer means unhealthy; the reason goes to the log
        logger.warning("health check: database did not answer", exc_info=True)
        return False
    return True
