"""The ASGI app at ``/graphql``: GraphQL over HTTP, GET and POST, JSON answers.

- POST with an ``application/json`` body runs any operation; GET runs queries only
  (a mutation over GET is refused with 405, as the GraphQL-over-HTTP spec says).
- No GraphiQL: strawberry's page loads its scripts from a public CDN and shows a blank
  page on a network without one, so until an explorer ships inside the package, GET
  without a query is a 404.
- Subscriptions run over a websocket with the graphql-transport-ws protocol
  (``c360.graphql.websocket``).
- Each request gets a fresh ``Context`` (its own loaders, one lazily opened database
  connection), closed when the response is ready.
- Every error body is GraphQL-shaped JSON with an ``extensions.code``, including the
  HTTP-level ones strawberry would answer in plain text; nothing unexpected leaks.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from c360.audit.recorder import AccessRecorder
from c360.auth.authenticate import bearer_authenticator
from c360.auth.errors import AuthenticationError
from c360.auth.principal import Principal
from c360.graphql.compiled.serve import CompiledQueries, Outcome
from c360.graphql.context import Context
from c360.graphql.errors import INTERNAL_MESSAGE, ApiErrorCode, present_error, request_error
from c360.graphql.rate_limit import HttpRateLimit
from c360.graphql.schema import schema
from c360.graphql.websocket import (
    TextWebSocketAdapter,
    authenticate_connection,
    serve_websocket,
)
from c360.ratelimit import build_rate_limiter
from c360.recommend.service import Recommender
from c360.settings import Settings
from graphql import GraphQLError

__all__ = ["create_graphql_app"]

logger = logging.getLogger("c360.graphql")

# Why the caller looks (a case or ticket number, "branch visit"...), kept in the access log.
PURPOSE_HEADER = "X-C360-Purpose"

_HTTP_CODES = {
    404: ApiErrorCode.NOT_FOUND,
    405: ApiErrorCode.METHOD_NOT_ALLOWED,
}


Authenticate = Callable[[Request], Awaitable[Principal]]
"""Who sent the request; raises ``AuthenticationError`` (answered 401) when nobody valid did."""


def create_graphql_app(
    *,
    engine: AsyncEngine,
    settings: Settings,
    recorder: AccessRecorder,
    authenticate: Authenticate | None = None,
) -> _GraphQLApp:
    """The GraphQL endpoint over ``engine``, to mount at ``/graphql``.

    Every read of customer data is handed to ``recorder`` (the access audit; its owner
    closes it at shutdown). ``authenticate`` defaults to bearer tokens and JWTs
    (``c360.auth``); tests of other behaviour may pass their own.
    """
    if authenticate is None:
        authenticate = bearer_authenticator(engine=engine, settings=settings)
    return _GraphQLApp(
        engine=engine, settings=settings, recorder=recorder, authenticate=authenticate
    )


class _GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        settings: Settings,
        recorder: AccessRecorder,
        authenticate: Authenticate,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self._engine = engine
        self._settings = settings
        self._recorder = recorder
        self._authenticate = authenticate
        # One per process: it loads the newest model artefact and notices a retrain.
        self._recommender = Recommender.from_model_dir()
        self.rate_limit = HttpRateLimit(build_rate_limiter(settings))
        self._compiled = CompiledQueries(schema, settings) if settings.compiled_queries else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Nobody yet: connection_init carries the credentials (authenticate_connection).
            context = Context.for_request(
                engine=self._engine,
                settings=self._settings,
                principal=None,
                recommender=self._recommender,
                recorder=self._recorder,
            )
            await serve_websocket(self, context, scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        context: Context | None = None
        rate = None
        try:
            try:
                principal = await self._authenticate(request)
            except AuthenticationError:
                # Failed attempts are limited per client address, so guessing is slow.
                rate = await self.rate_limit.check(_client_key(request))
                raise
            # Each principal has one budget however many workers or tokens it spreads over.
            rate = await self.rate_limit.check(f"sub:{principal.subject}")
            if rate is not None and not rate.allowed:
                response = self.rate_limit.refusal(rate)
            else:
                context = self._context(principal, request)
                answer = (
                    Outcome.UNTOUCHED
                    if self._compiled is None
                    else await self._compiled.answer(request, context)
                )
                if answer is Outcome.ABANDONED:  # graphql-core starts afresh
                    await context.db.close()
                    context = self._context(principal, request)
                if isinstance(answer, Outcome):
                    response = await self.run(request, context=context)
                else:
                    response = answer
                context.record_access(purpose=request.headers.get(PURPOSE_HEADER))
        except AuthenticationError as exc:
            if rate is not None and not rate.allowed:
                response = self.rate_limit.refusal(rate)
            else:
                response = _unauthenticated(exc)
        except HTTPException as exc:
            response = _http_error(exc)
        except Exception:  # a bug outside any resolver: same masking as inside one
            correlation_id = uuid.uuid4().hex
            logger.exception("unexpected error %s serving /graphql", correlation_id)
            response = _json_error(
                500, INTERNAL_MESSAGE, ApiErrorCode.INTERNAL, correlationId=correlation_id
            )
        finally:
            if context is not None:
                await context.db.close()
        self.rate_limit.annotate(response, rate)
        await response(scope, receive, send)

    def _context(self, principal: Principal, request: Request) -> Context:
        return Context.for_request(
            engine=self._engine,
            settings=self._settings,
            principal=principal,
            request=request,
            recommender=self._recommender,
            recorder=self._recorder,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        await authenticate_connection(context)
        return await super().on_ws_connect(context)  # acknowledged without a payload

    async def close(self) -> None:
        """Release what the app holds beyond the engine (the rate limiter's Redis pool)."""
        if self.rate_limit.limiter is not None:
            await self.rate_limit.limiter.aclose()

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            # strawberry answers 400; the GraphQL-over-HTTP spec wants 405 for a GET mutation.
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise _MethodNotAllowed(
                    "GET runs queries only; send mutations with POST", allow="POST"
                ) from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # A last guard: errors raised outside the schema's operation hooks get codes too.
        if result.errors:
            result.errors = [present_error(error) for error in result.errors]
        return process_result(result)

    def _handle_errors(
        self, errors: list[GraphQLError], response_data: GraphQLHTTPResponse
    ) -> None:
        pass

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)


class _MethodNotAllowed(HTTPException):
    def __init__(self, reason: str, *, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


def _http_error(exc: HTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, ApiErrorCode.BAD_REQUEST)
    response = _json_error(exc.status_code, exc.reason, code)
    if exc.status_code == 405:
        # strawberry's own 405 is for a method other than GET and POST.
        response.headers["Allow"] = getattr(exc, "allow", "GET, POST")
    return response


def _client_key(request: Request) -> str:
    return "ip:" + (request.client.host if request.client else "unknown")


def _unauthenticated(exc: AuthenticationError) -> Response:
    # One message for an unknown, expired or revoked token, so a caller cannot tell
    # them apart; c360.auth has logged the reason.
    response = _json_error(401, exc.message, ApiErrorCode.UNAUTHENTICATED)
    response.headers["WWW-Authenticate"] = exc.www_authenticate
    return response


def _json_error(status_code: int, message: str, code: ApiErrorCode, **extra: str) -> Response:
    error = request_error(message, code)
    if extra:
        error["extensions"] = {**error["extensions"], **extra}  # type: ignore[dict-item]
    return Response(
        orjson.dumps({"errors": [error]}), status_code=status_code, media_type="application/json"
    )
