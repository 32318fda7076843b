"""GraphQL over a websocket (the graphql-transport-ws protocol) at ``/graphql``.

Each socket gets one ``Context`` for its lifetime (its own loaders and a database
connection it only holds while resolving; see ``c360.graphql.subscriptions``),
closed when the socket closes. The client's ``connection_init`` payload lands in
``Context.connection_params`` before ``authenticate_connection`` runs: that is where
websocket authentication belongs (a bearer token in the payload, since browsers cannot
set headers on a websocket). Raising ``ConnectionRejectionError`` there closes the
socket with 4403 Forbidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types.graphql import OperationType

from c360.auth.authenticate import authenticate
from c360.auth.errors import AuthenticationError
from c360.graphql.context import Context, loaders_for

__all__ = [
    "SocketOperations",
    "TextWebSocketAdapter",
    "authenticate_connection",
    "refresh",
    "serve_websocket",
]


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends every message as a text frame, as graphql-transport-ws requires (strawberry
    would send our orjson bytes as binary frames, which browsers' clients cannot parse)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(self.view.encode_json_string(message))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


async def serve_websocket(
    app: GraphQL[Context, None], context: Context, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run the socket's protocol with ``context``, and close the context after it."""
    try:
        await app.run(WebSocket(scope, receive, send), context=context)
    finally:
        await context.db.close()


async def authenticate_connection(context: Context) -> None:
    """Decide who the socket acts for, from ``context.connection_params``.

    The client sends its bearer token in ``connection_init`` (browsers cannot set headers
    on a websocket) as ``{"Authorization": "Bearer <token>"}`` (any case of the key).
    The same tokens and JWTs as over HTTP are accepted; anything else closes the socket
    with 4403 before any subscription starts.
    """
    params = context.connection_params or {}
    header = next(
        (v for k, v in params.items() if k.lower() == "authorization" and isinstance(v, str)),
        None,
    )
    try:
        principal = await authenticate(header, engine=context.db.engine, settings=context.settings)
    except AuthenticationError as error:
        raise ConnectionRejectionError({"message": error.message}) from None
    context.principal = principal
    refresh(context)


def refresh(context: Context) -> None:
    """New loaders and a new clock: nothing cached from the socket's previous operations."""
    context.now = dt.datetime.now(dt.UTC)
    context.loaders = loaders_for(
        db=context.db,
        now=context.now,
        recommender=context.loaders.recommender,
        principal=context.principal,
    )


def _is_socket(context: object) -> bool:
    # strawberry sets connection_params from connection_init, which every operation
    # over a socket follows; an HTTP request's context never has them.
    return isinstance(context, Context) and context.connection_params is not None


class SocketOperations(SchemaExtension):
    """A query or mutation sent over a socket runs like one sent over HTTP: with fresh
    loaders, and its connection (on PostgreSQL, a read snapshot) released when it is done.
    A socket's context outlives its operations; without this, a second query would answer
    from the first one's cache. (Subscriptions do the same per event.)"""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        operation_type = self.execution_context.operation_type
        if not _is_socket(context) or operation_type is OperationType.SUBSCRIPTION:
            yield
            return
        refresh(context)
        try:
            yield
        finally:
            await context.db.release()  # the socket's context lives on
