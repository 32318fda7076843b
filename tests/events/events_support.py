"""Live-update test helpers: a graphql-transport-ws client over a real websocket, and the
app served by a real uvicorn inside the test's event loop (so that SQLite's in-process
events reach it from the test's own writes too)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

# Members (customers with loyalty accounts) live beside the loyalty tests.
sys.path.append(str(Path(__file__).resolve().parents[1] / "loyalty"))
from gqltest import settings_for  # noqa: E402  (tests/graphql, added by loyalty_support)
from loyalty_support import Member, Members  # noqa: E402

from c360.app import create_app  # noqa: E402
from c360.auth import tokens  # noqa: E402
from c360.auth.scopes import Role  # noqa: E402
from c360.database import create_engine  # noqa: E402
from c360.events import EventHub, hub_for  # noqa: E402
from server import free_port  # noqa: E402

__all__ = [
    "EARN",
    "EVENTS",
    "LiveServer",
    "Member",
    "Members",
    "WsClient",
    "auth_headers",
    "earn_input",
    "live_server",
    "register_admin",
    "ws_client",
    "ws_url",
]

PROTOCOL = "graphql-transport-ws"
# How long a test waits for a message that should come (one that should not is shown
# not to come by what arrives after it, never by waiting).
WAIT_SECONDS = 10.0

EVENTS = """
subscription($customerId: ID!) {
  customerEvents(customerId: $customerId) {
    kind occurredAt customerId entityId points pointsBalance
    customer { id displayName }
    entity { id ... on LedgerEntry { kind points reason } }
  }
}
"""
EARN = """
mutation($input: EarnPointsInput!) {
  earnPoints(input: $input) {
    __typename
    ... on PointsEntrySuccess { entry { id } account { pointsBalance } }
    ... on PointsEntryError { code message }
  }
}
"""


def earn_input(member: Member, points: int, key: str) -> dict[str, Any]:
    return {
        "input": {
            "customerId": member.gid,
            "points": points,
            "reason": "live test",
            "idempotencyKey": key,
        }
    }


class WsClient:
    """One graphql-transport-ws connection, after connection_init was acknowledged."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):
            frame = await self.socket.recv()
        assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
        message: dict[str, Any] = json.loads(frame)
        return message

    async def subscribe(self, operation_id: str, query: str, **variables: Any) -> None:
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def next_data(self, operation_id: str) -> dict[str, Any]:
        """The data of the next message, which must be a ``next`` for ``operation_id``."""
        message = await self.receive()
        assert message["type"] == "next" and message["id"] == operation_id, message
        assert "errors" not in message["payload"], message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def event(self, operation_id: str) -> dict[str, Any]:
        event: dict[str, Any] = (await self.next_data(operation_id))["customerEvents"]
        return event

    async def live(self, operation_id: str, customer: Member) -> None:
        """Subscribe to ``customer``'s events and wait until the subscription is live."""
        await self.subscribe(operation_id, EVENTS, customerId=customer.gid)
        assert (await self.event(operation_id))["kind"] == "SUBSCRIBED"


# A base URL -> an admin token valid on the database behind it (see ``register_admin``).
_TOKENS: dict[str, str] = {}


async def register_admin(base_url: str, database_url: str) -> str:
    """Issue an admin token on the server's database; ws_client and auth_headers use it."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            issued = await tokens.issue_token(
                conn,
                role=Role.ADMIN,
                name=f"events test {base_url}",
                secret_key=os.environ["C360_SECRET_KEY"],
                now=dt.datetime.now(dt.UTC),
            )
    finally:
        await engine.dispose()
    _TOKENS[base_url] = issued.token
    return issued.token


def auth_headers(base_url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_TOKENS[base_url]}"}


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def ws_client(
    base_url: str, payload: dict[str, Any] | None = None
) -> AsyncIterator[WsClient]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == PROTOCOL
        client = WsClient(socket)
        if payload is None:  # the credentials a browser sends in connection_init
            payload = auth_headers(base_url)
        await client.send({"type": "connection_init", "payload": payload})
        assert await client.receive() == {"type": "connection_ack"}
        yield client


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    app: Starlette

    @property
    def hub(self) -> EventHub:
        hub = hub_for(self.app.state.engine)
        assert hub is not None, "the app's lifespan starts its hub"
        return hub


@asynccontextmanager
async def live_server(database_url: str) -> AsyncIterator[LiveServer]:
    """The whole app (lifespan included) on a free port."""
    app = create_app(settings_for(database_url))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        lifespan="on",
        # As c360 serve: a connection that never closes must not stall the shutdown.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        base_url = f"http://127.0.0.1:{config.port}"
        await register_admin(base_url, database_url)
        yield LiveServer(base_url, app)
    finally:
        server.should_exit = True
        await task
