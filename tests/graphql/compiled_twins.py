"""Two /graphql apps over one engine, one with the compiled query path and one without.

``Twins.compare`` sends the same request, as the same principal, to both and reports any
difference a client or an auditor could notice: the HTTP status, the body bytes, the
access-audit records. The compiled app says which answers it served itself with the
header ``X-C360-Plan: compiled``; the other app must never say so. Neither may leave a
pooled connection checked out once it has answered (a few such requests would exhaust
the pool and hang every later one), nor warn (say, of a coroutine it never awaited).
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import warnings
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.audit.recorder import AccessRecord, AccessRecorder
from c360.auth.principal import Principal
from c360.graphql.http import PURPOSE_HEADER, create_graphql_app
from c360.settings import Environment, Settings

PLAN_HEADER = "X-C360-Plan"
# Event-loop turns to wait after an answer before counting the pool's checked-out
# connections: a task the request left behind checks one out within three.
_SETTLE_TICKS = 20


class CapturingRecorder(AccessRecorder):
    """The access audit, kept in memory instead of written: what each request recorded.

    Not written, so that ``Customer.accessLog`` reads the same rows from both apps.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.records: list[AccessRecord] = []

    def record(self, record: AccessRecord) -> None:
        self.records.append(record)

    def take(self) -> list[dict[str, object]]:
        """The access-log rows recorded since the last call, without time and request id."""
        rows = [
            {k: v for k, v in row.items() if k not in ("accessed_at", "request_id")}
            for record in self.records
            for row in record.rows()
        ]
        self.records.clear()
        return rows


# The test's authenticator reads who is asking from this header (the principal's subject).
_PRINCIPAL_HEADER = "X-Test-Principal"


class _Caller:
    """Authenticates each request as the principal its test header names."""

    def __init__(self) -> None:
        self.principals: dict[str, Principal] = {}

    def header(self, principal: Principal) -> dict[str, str]:
        self.principals[principal.subject] = principal
        return {_PRINCIPAL_HEADER: principal.subject}

    async def authenticate(self, request: Any) -> Principal:
        return self.principals[request.headers[_PRINCIPAL_HEADER]]


@dataclass
class _Side:
    name: str
    client: httpx.AsyncClient
    recorder: CapturingRecorder


@dataclass(frozen=True)
class Request:
    """One GraphQL request: as whom, what, and how it is sent."""

    principal: Principal
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    get: bool = False  # a GET with the query in the URL, else a JSON POST
    purpose: str | None = None  # the X-C360-Purpose header, kept in the access log
    label: str = ""
    # Sent as they are instead (a malformed request): method, content, params, headers...
    raw: dict[str, Any] | None = None

    def http(self, caller: _Caller) -> dict[str, Any]:
        """The arguments of ``httpx.AsyncClient.request``."""
        headers = caller.header(self.principal)
        if self.purpose is not None:
            headers[PURPOSE_HEADER] = self.purpose
        if self.raw is not None:
            raw = dict(self.raw)
            return {"url": "/graphql", **raw, "headers": headers | raw.get("headers", {})}
        if self.get:
            params = {"query": self.query}
            if self.variables is not None:
                params["variables"] = json.dumps(self.variables)
            if self.operation_name is not None:
                params["operationName"] = self.operation_name
            return {"method": "GET", "url": "/graphql", "params": params, "headers": headers}
        payload = {"query": self.query, "variables": self.variables}
        if self.operation_name is not None:
            payload["operationName"] = self.operation_name
        return {"method": "POST", "url": "/graphql", "json": payload, "headers": headers}

    def describe(self, problems: list[str]) -> str:
        how = f"as sent: `{self.raw}`" if self.raw else "GET" if self.get else "POST"
        return "\n".join(
            [
                f"### {self.label} as {self.principal.subject}",
                "",
                f"{how}, operationName {self.operation_name}, purpose {self.purpose}",
                "",
                *(f"- {p}" for p in problems),
                "",
                f"query:\n\n```graphql\n{self.query}\n```\n",
                f"variables: `{json.dumps(self.variables)}`\n",
            ]
        )


@dataclass
class Outcome:
    """What comparing one request found."""

    compiled: bool  # the compiled app served it itself
    mismatch: str | None  # what differs, as Markdown, or None
    status: int
    body: Any
    audit_rows: int  # access-log rows the request recorded (in the normal app)


@dataclass
class Twins:
    engine: AsyncEngine
    normal: _Side
    compiled: _Side
    caller: _Caller

    async def compare(self, request: Request) -> Outcome:
        """Send ``request`` to each app in turn and compare what they answered and audited."""
        answers = []
        problems = []
        for side in (self.normal, self.compiled):
            held = self.engine.pool.checkedout()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                response = await side.client.request(**request.http(self.caller))
                answers.append((response, side.recorder.take()))
                for _ in range(_SETTLE_TICKS):  # what the request left running gets its turn
                    await asyncio.sleep(0)
                gc.collect(0)  # the young: what the request dropped in a reference cycle
            problems += [f"the {side.name} app warned: {_warning(w)}" for w in caught]
            if (leaked := self.engine.pool.checkedout() - held) > 0:
                problems.append(f"the {side.name} app kept {leaked} pooled connection(s)")
                await self._drop_leaked()
        (normal, normal_audit), (compiled, compiled_audit) = answers
        return _outcome(request, normal, compiled, normal_audit, compiled_audit, problems)

    async def compare_concurrently(
        self, requests: list[Request]
    ) -> tuple[list[Outcome], str | None]:
        """Each request answered by the normal app alone, then all at once by the compiled
        app: concurrent requests must not see each other's principal, plan or rows.

        Returns each request's outcome, and what differs in the audit, compared as a
        whole (which request recorded which row is not known when they run at once), or
        what the compiled app warned of.
        """
        normal = []
        for request in requests:
            normal.append(await self.normal.client.request(**request.http(self.caller)))
        normal_audit = sorted(map(_show, self.normal.recorder.take()))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compiled = await asyncio.gather(
                *(self.compiled.client.request(**r.http(self.caller)) for r in requests)
            )
            for _ in range(_SETTLE_TICKS):
                await asyncio.sleep(0)
            gc.collect(0)
        compiled_audit = sorted(map(_show, self.compiled.recorder.take()))
        outcomes = [
            _outcome(request, a, b, [], [], [])
            for request, a, b in zip(requests, normal, compiled, strict=True)
        ]
        problems = [f"the compiled app warned: {_warning(w)}" for w in caught]
        if normal_audit != compiled_audit:
            problems.append(
                "audit records of concurrent requests differ:\n\n"
                f"normal only: `{sorted(set(normal_audit) - set(compiled_audit))}`\n\n"
                f"compiled only: `{sorted(set(compiled_audit) - set(normal_audit))}`"
            )
        return outcomes, "\n".join(problems) or None

    async def _drop_leaked(self) -> None:
        """Start a fresh pool, so that later requests do not wait for the lost
        connections, and let the garbage collector take those now, quietly: it warns of
        each (the mismatch has said it already), and later it would fail another test."""
        await self.engine.dispose()
        await asyncio.sleep(0.2)  # for what holds them to finish (and open them, at worst)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gc.collect()


def _outcome(
    request: Request,
    normal: httpx.Response,
    compiled: httpx.Response,
    normal_audit: list[dict[str, object]],
    compiled_audit: list[dict[str, object]],
    problems: list[str],
) -> Outcome:
    if normal.headers.get(PLAN_HEADER) is not None:
        problems.append(f"the app without the compiled path sent {PLAN_HEADER}")
    if normal.status_code != compiled.status_code:
        problems.append(f"status {normal.status_code} != {compiled.status_code}")
    if _same_but_ids(normal.content) != _same_but_ids(compiled.content):
        problems.append(body_difference(normal.content, compiled.content))
    if normal_audit != compiled_audit:
        problems.append(
            "audit records differ:\n\n"
            f"normal:   `{_show(normal_audit)}`\n\ncompiled: `{_show(compiled_audit)}`"
        )
    mismatch = None
    if problems:
        mismatch = "\n".join(
            [
                request.describe(problems),
                f"normal body:\n\n```json\n{normal.text}\n```\n",
                f"compiled body:\n\n```json\n{compiled.text}\n```\n",
            ]
        )
    return Outcome(
        compiled=compiled.headers.get(PLAN_HEADER) == "compiled",
        mismatch=mismatch,
        status=normal.status_code,
        body=_parse(normal.content),
        audit_rows=len(normal_audit),
    )


def _warning(caught: warnings.WarningMessage) -> str:
    return f"{caught.category.__name__}: {str(caught.message).splitlines()[0]}"


# An unexpected error's answer names a new correlation id for the logs each time.
_CORRELATION_ID = re.compile(rb'"correlationId":"[0-9a-f]{32}"')


def _same_but_ids(content: bytes) -> bytes:
    return _CORRELATION_ID.sub(b'"correlationId":"*"', content)


def _parse(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def _keys_in_order(value: Any) -> Any:
    """The value with every object as a list of (key, value) pairs: order-sensitive equality."""
    if isinstance(value, dict):
        return [(k, _keys_in_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keys_in_order(v) for v in value]
    return value


def body_difference(normal: bytes, compiled: bytes) -> str:
    a, b = _parse(normal), _parse(compiled)
    if a is None or b is None:
        return "bodies differ (one is not JSON)"
    if a != b:
        return "bodies differ in values"
    if _keys_in_order(a) != _keys_in_order(b):
        return "bodies hold the same values with keys in another order"
    return "bodies are equal JSON but not the same bytes"


def _show(rows: Any) -> str:
    return json.dumps(rows, default=str)


def settings_with(url: str, *, compiled: bool, **overrides: Any) -> Settings:
    # As tests/graphql/gqltest.settings_for, with the compiled path switched on or off.
    return Settings(
        database_url=url,
        environment=Environment.TEST,
        rate_limit_requests=0,
        compiled_queries=compiled,
        **overrides,
    )


@asynccontextmanager
async def twins(url: str, engine: AsyncEngine, **compiled_overrides: Any) -> AsyncIterator[Twins]:
    """Both apps over ``engine``, authenticating each request as its ``Request`` says.

    ``compiled_overrides`` are further settings of the compiled app only (for the test
    that shows a difference is noticed).
    """
    caller = _Caller()
    async with AsyncExitStack() as stack:
        sides = []
        for compiled in (False, True):
            recorder = CapturingRecorder(engine)
            overrides = compiled_overrides if compiled else {}
            app = create_graphql_app(
                engine=engine,
                settings=settings_with(url, compiled=compiled, **overrides),
                recorder=recorder,
                authenticate=caller.authenticate,
            )
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://c360.test"
            )
            client = await stack.enter_async_context(client)
            sides.append(_Side("compiled" if compiled else "normal", client, recorder))
        yield Twins(engine=engine, normal=sides[0], compiled=sides[1], caller=caller)
