"""``customerEvents`` over a real websocket, against the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from events_support import (
    EARN,
    EVENTS,
    PROTOCOL,
    WAIT_SECONDS,
    LiveServer,
    Members,
    auth_headers,
    earn_input,
    live_server,
    ws_client,
    ws_url,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.exceptions import ConnectionRejectionError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gqltest import new_database  # isort: skip

from c360 import events
from c360.auth import tokens
from c360.auth.scopes import Role, Scope
from c360.consent.models import ConsentPurpose
from c360.database import create_engine
from c360.graphql import http as graphql_http
from c360.graphql.context import Context
from c360.graphql.ids import encode_id
from c360.transactions import write_transaction


@pytest.fixture(scope="module")
async def database(database_factory: Any) -> str:
    return await new_database(database_factory)


@pytest.fixture(scope="module")
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def members(engine: AsyncEngine) -> Members:
    return Members(engine)


@pytest.fixture(scope="module")
async def server(database: str) -> AsyncIterator[LiveServer]:
    async with live_server(database) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(server: LiveServer) -> str:
    return server.base_url


async def wait_until(condition: Callable[[], bool]) -> None:
    """For what the server does a moment after it answered."""
    for _ in range(int(WAIT_SECONDS / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never came true")


async def wait_for_no_subscribers(hub: events.EventHub) -> None:
    await wait_until(lambda: hub.subscriber_count == 0)


async def earn(base_url: str, member: Any, points: int, key: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/graphql",
            json={"query": EARN, "variables": earn_input(member, points, key)},
            headers=auth_headers(base_url),
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["earnPoints"]
    assert result["__typename"] == "PointsEntrySuccess", result
    return result


# protocol ----------------------------------------------------------------------------


async def test_connection_init_is_acknowledged_and_ping_answered(base_url: str) -> None:
    async with ws_client(base_url) as client:
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}


async def test_a_subscription_starts_with_subscribed_and_ends_on_complete(
    server: LiveServer, members: Members
) -> None:
    member = await members.new()
    await wait_for_no_subscribers(server.hub)  # earlier tests' sockets are gone
    async with ws_client(server.base_url) as client:
        await client.subscribe("1", EVENTS, customerId=member.gid)
        first = await client.event("1")
        assert first["kind"] == "SUBSCRIBED"
        assert first["customerId"] == member.gid
        assert first["customer"]["id"] == member.gid
        assert first["entityId"] is None and first["entity"] is None
        assert server.hub.subscriber_count == 1
        await client.send({"id": "1", "type": "complete"})
        await wait_for_no_subscribers(server.hub)
        # The operation is gone: a new one may take its id, and gets its own SUBSCRIBED.
        await client.subscribe("1", EVENTS, customerId=member.gid)
        assert (await client.event("1"))["kind"] == "SUBSCRIBED"
    # Closing the socket ends its subscriptions.
    await wait_for_no_subscribers(server.hub)


async def test_a_waiting_subscription_holds_no_database_connection(
    server: LiveServer, members: Members
) -> None:
    # Else a few hundred open teller screens would take every connection of the pool.
    pool = server.app.state.engine.sync_engine.pool
    member = await members.new()
    async with ws_client(server.base_url) as client:
        await client.live("1", member)  # SUBSCRIBED has loaded the customer
        await wait_until(lambda: pool.checkedout() == 0)
        await earn(server.base_url, member, 3, "pool-check")
        assert (await client.event("1"))["customer"]["id"] == member.gid
        await wait_until(lambda: pool.checkedout() == 0)


async def test_a_lost_listener_ends_the_subscription_with_a_code(
    server: LiveServer, members: Members, engine: AsyncEngine, database_backend: str
) -> None:
    if database_backend != "postgresql":
        pytest.skip("SQLite has no listener connection to lose")
    member = await members.new()
    async with ws_client(server.base_url) as client:
        await client.live("1", member)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'c360-events' AND datname = current_database()"
                )
            )
        message = await client.receive()
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [
            "EVENTS_INTERRUPTED"
        ]
        assert await client.receive() == {"id": "1", "type": "complete"}
        # Subscribing again works once the listener is back.
        await client.live("2", member)
        await earn(server.base_url, member, 7, "after-reconnect")
        assert (await client.event("2"))["points"] == 7


async def test_subscribe_before_connection_init_closes_the_socket(base_url: str) -> None:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}}'
        )
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_the_authentication_hook_sees_the_init_payload_and_may_refuse(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []

    async def authenticate(context: Context) -> None:
        seen.append(context.connection_params)
        if context.connection_params != {"token": "good"}:
            raise ConnectionRejectionError()

    monkeypatch.setattr(graphql_http, "authenticate_connection", authenticate)
    async with ws_client(base_url, {"token": "good"}) as client:
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
    async with connect(ws_url(base_url), subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": {"token": "bad"}}))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert seen == [{"token": "good"}, {"token": "bad"}]


async def test_queries_over_the_socket_see_what_was_committed_since(
    base_url: str, members: Members
) -> None:
    member = await members.new(((100, 10),))
    query = "query($id: ID!) { customer(id: $id) { loyalty { pointsBalance } } }"

    async def balance(client: Any, operation_id: str) -> int:
        await client.subscribe(operation_id, query, id=member.gid)
        data = await client.next_data(operation_id)
        assert await client.receive() == {"id": operation_id, "type": "complete"}
        return int(data["customer"]["loyalty"]["pointsBalance"])

    async with ws_client(base_url) as client:
        assert await balance(client, "1") == 100
        await earn(base_url, member, 20, "socket-query")
        assert await balance(client, "2") == 120


async def test_an_unknown_customer_is_not_found(base_url: str) -> None:
    async with ws_client(base_url) as client:
        await client.subscribe("1", EVENTS, customerId=encode_id("Customer", 987_654_321))
        message = await client.receive()
    assert message["type"] == "next", message
    (error,) = message["payload"]["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert message["payload"]["data"] is None


async def test_an_id_of_another_type_is_invalid(base_url: str) -> None:
    async with ws_client(base_url) as client:
        await client.subscribe("1", EVENTS, customerId=encode_id("LedgerEntry", 1))
        message = await client.receive()
    (error,) = message["payload"]["errors"]
    assert error["extensions"]["code"] == "INVALID_ID"


async def test_a_customer_the_caller_may_not_see_is_not_found(
    base_url: str, members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = await members.new()

    async def invisible(_context: Context, _customer_id: int) -> bool:
        return False

    monkeypatch.setattr(Context, "customer_visible", invisible)
    async with ws_client(base_url) as client:
        await client.subscribe("1", EVENTS, customerId=member.gid)
        message = await client.receive()
    (error,) = message["payload"]["errors"]
    assert (error["message"], error["extensions"]["code"]) == ("no such customer", "NOT_FOUND")


async def test_a_revoked_sharing_consent_ends_the_partners_subscription(
    base_url: str, members: Members, engine: AsyncEngine
) -> None:
    member = await members.new()
    rows = members.rows
    partner = rows.partner("tripco", "TripCo")
    rows.consent(
        member.customer_id,
        ConsentPurpose.PARTNER_SHARING,
        granted=True,
        captured_at=rows.now - dt.timedelta(days=1),
        partner_id=partner,
    )
    await rows.insert(engine)
    async with engine.begin() as conn:
        issued = await tokens.issue_token(
            conn,
            role=Role.PARTNER,
            name="tripco",
            partner_code="tripco",
            secret_key=os.environ["C360_SECRET_KEY"],
            now=dt.datetime.now(dt.UTC),
        )
    partner_login = {"Authorization": f"Bearer {issued.token}"}
    async with ws_client(base_url, partner_login) as client:
        await client.live("1", member)
        rows.consent(
            member.customer_id,
            ConsentPurpose.PARTNER_SHARING,
            granted=False,
            captured_at=rows.now,
            partner_id=partner,
        )
        await rows.insert(engine)
        await earn(base_url, member, 5, "after-revocation")  # as staff
        message = await client.receive()
        assert message["payload"]["data"] is None, message
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
        assert await client.receive() == {"id": "1", "type": "complete"}


async def test_a_subscription_needs_customer_read(
    base_url: str, members: Members, engine: AsyncEngine
) -> None:
    member = await members.new()
    async with engine.begin() as conn:
        issued = await tokens.issue_token(
            conn,
            role=Role.TELLER,
            name="no read",
            scopes=[Scope.LOYALTY_READ],
            secret_key=os.environ["C360_SECRET_KEY"],
            now=dt.datetime.now(dt.UTC),
        )
    async with ws_client(base_url, {"Authorization": f"Bearer {issued.token}"}) as client:
        await client.subscribe("1", EVENTS, customerId=member.gid)
        message = await client.receive()
    assert message["type"] == "error", message
    assert [e["extensions"]["code"] for e in message["payload"]] == ["FORBIDDEN"]


async def test_a_socket_without_valid_credentials_is_closed(base_url: str) -> None:
    async with connect(ws_url(base_url), subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer c360_x"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


# events ------------------------------------------------------------------------------


async def test_an_earn_reaches_its_customers_subscriber_and_no_other(
    base_url: str, members: Members
) -> None:
    alice, bob = await members.new(((100, 10),)), await members.new()
    async with ws_client(base_url) as client:
        await client.live("alice", alice)
        await client.live("bob", bob)

        booked = await earn(base_url, alice, 250, "live-1")
        event = await client.event("alice")
        assert event == {
            "kind": "POINTS_EARNED",
            "occurredAt": event["occurredAt"],
            "customerId": alice.gid,
            "entityId": booked["entry"]["id"],
            "points": 250,
            "pointsBalance": 350,
            "customer": {"id": alice.gid, "displayName": event["customer"]["displayName"]},
            "entity": {
                "id": booked["entry"]["id"],
                "kind": "EARN",
                "points": 250,
                "reason": "live test",
            },
        }
        # Bob's next event is his own earn: Alice's never reached his subscription.
        await earn(base_url, bob, 40, "live-2")
        event = await client.event("bob")
        assert (event["kind"], event["customerId"], event["points"]) == (
            "POINTS_EARNED",
            bob.gid,
            40,
        )


async def test_an_idempotent_replay_publishes_nothing(base_url: str, members: Members) -> None:
    member = await members.new()
    async with ws_client(base_url) as client:
        await client.live("1", member)
        await earn(base_url, member, 10, "replay-1")
        assert (await client.event("1"))["points"] == 10
        await earn(base_url, member, 10, "replay-1")  # replayed: nothing booked
        await earn(base_url, member, 20, "replay-2")
        assert (await client.event("1"))["points"] == 20


async def test_a_rolled_back_write_emits_nothing(
    base_url: str, members: Members, engine: AsyncEngine
) -> None:
    member = await members.new()
    async with ws_client(base_url) as client:
        await client.live("1", member)
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with engine.begin() as conn:
                await events.publish(conn, _event(member.customer_id, entity_id=1))
                raise RuntimeError("changed my mind")
        async with engine.begin() as conn:
            await events.publish(conn, _event(member.customer_id, entity_id=2))
        event = await client.event("1")
        assert (event["kind"], event["entityId"]) == (
            "TICKET_OPENED",
            encode_id("SupportTicket", 2),
        )


async def test_a_rolled_back_service_transaction_emits_nothing(
    base_url: str, members: Members, engine: AsyncEngine
) -> None:
    # The services' own write path: BEGIN IMMEDIATE ... COMMIT/ROLLBACK on SQLite.
    member = await members.new()
    async with ws_client(base_url) as client:
        await client.live("1", member)
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with write_transaction(engine) as conn:
                await events.publish(conn, _event(member.customer_id, entity_id=3))
                raise RuntimeError("changed my mind")
        async with write_transaction(engine) as conn:
            await events.publish(conn, _event(member.customer_id, entity_id=4))
        event = await client.event("1")
        assert event["entityId"] == encode_id("SupportTicket", 4)


async def test_events_arrive_in_commit_order(
    base_url: str, members: Members, engine: AsyncEngine
) -> None:
    member = await members.new()
    async with ws_client(base_url) as client:
        await client.live("1", member)
        async with engine.begin() as conn:
            for entity_id in (11, 12, 13):
                await events.publish(conn, _event(member.customer_id, entity_id=entity_id))
        received = [(await client.event("1"))["entityId"] for _ in range(3)]
    assert received == [encode_id("SupportTicket", pk) for pk in (11, 12, 13)]


async def test_publish_outside_a_transaction_is_refused(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await events.publish(conn, _event(1, entity_id=1))


def _event(customer_id: int, *, entity_id: int) -> events.CustomerEvent:
    return events.CustomerEvent(
        customer_id=customer_id,
        kind=events.EventKind.TICKET_OPENED,
        entity_type="SupportTicket",
        entity_id=entity_id,
        occurred_at=dt.datetime.now(dt.UTC),
    )


async def test_each_event_a_subscriber_receives_is_in_the_access_log(
    base_url: str, members: Members, engine: AsyncEngine
) -> None:
    member = await members.new()
    async with ws_client(base_url) as client:
        await client.live("1", member)
        await earn(base_url, member, 7, "audited-1")
        await client.event("1")
        await earn(base_url, member, 8, "audited-2")
        await client.event("1")

    async def subscription_reads() -> int:
        async with engine.connect() as conn:
            return int(
                await conn.scalar(
                    text(
                        "SELECT count(*) FROM access_log WHERE customer_id = :id "
                        "AND operation_hash = :hash"
                    ),
                    {"id": member.customer_id, "hash": hashlib.sha256(EVENTS.encode()).hexdigest()},
                )
                or 0
            )

    for _ in range(int(WAIT_SECONDS / 0.1)):  # the recorder writes in the background
        if await subscription_reads() == 2:
            break
        await asyncio.sleep(0.1)
    assert await subscription_reads() == 2
