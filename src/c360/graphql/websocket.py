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

from collections.abc import Mapping

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.exceptions import WebSocketDisconnected

from c360.graphql.context import Context

__all__ = ["TextWebSocketAdapter", "authenticate_connection", "serve_websocket"]


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

    The hook for authentication (``connection_init`` arrives before any subscription):
    set ``context.principal``, or raise ``strawberry.exceptions.ConnectionRejectionError``.
    Until authentication exists, every socket is accepted, as every HTTP request is.
    """
