"""The hub without GraphQL: what the loyalty writes publish, bounded queues, and the
PostgreSQL listener surviving the loss of its connection."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from events_support import WAIT_SECONDS, Members
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gqltest import new_database  # isort: skip

from c360 import events
from c360.database import create_engine
from c360.loyalty import service


@pytest.fixture(scope="module")
async def engine(database_factory: Any) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await new_database(database_factory))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def members(engine: AsyncEngine) -> Members:
    return Members(engine)


@pytest.fixture
async def hub(engine: AsyncEngine) -> AsyncIterator[events.EventHub]:
    hub = events.EventHub(engine)
    await hub.start()
    yield hub
    await hub.stop()


async def next_event(subscription: events.Subscription) -> events.CustomerEvent:
    async with asyncio.timeout(WAIT_SECONDS):
        return await anext(subscription)


def ticket_event(customer_id: int, entity_id: int, **data: Any) -> events.CustomerEvent:
    return events.CustomerEvent(
        customer_id=customer_id,
        kind=events.EventKind.TICKET_UPDATED,
        entity_type="SupportTicket",
        entity_id=entity_id,
        occurred_at=dt.datetime.now(dt.UTC),
        data=data,
    )


async def test_every_loyalty_write_publishes_its_entry(
    engine: AsyncEngine, members: Members, hub: events.EventHub
) -> None:
    member = await members.new(((500, 400),))  # an old lot: expired, not yet booked
    common = {"customer_id": member.customer_id, "reason": "test"}
    async with hub.subscribe(member.customer_id) as stream:
        earned = await service.earn_points(engine, points=100, idempotency_key="e", **common)
        redeemed = await service.redeem_points(engine, points=30, idempotency_key="r", **common)
        adjusted = await service.adjust_points(engine, points=-5, idempotency_key="a", **common)
        reversed_ = await service.reverse_entry(
            engine, entry_id=redeemed.entry.id, idempotency_key="v", **common
        )
        report = await service.expire_points(engine, now=dt.datetime.now(dt.UTC))
        received = [await next_event(stream) for _ in range(5)]

    assert report.entries == 1
    expected = [
        (events.EventKind.POINTS_EARNED, earned.entry.id, {"points": 100, "balance": 600}),
        (events.EventKind.POINTS_REDEEMED, redeemed.entry.id, {"points": -30, "balance": 570}),
        (events.EventKind.POINTS_ADJUSTED, adjusted.entry.id, {"points": -5, "balance": 565}),
        (events.EventKind.POINTS_REVERSED, reversed_.entry.id, {"points": 30, "balance": 595}),
    ]
    assert [(e.kind, e.entity_id, dict(e.data)) for e in received[:4]] == expected
    expiry = received[4]
    assert (expiry.kind, expiry.data) == (
        events.EventKind.POINTS_EXPIRED,
        {"points": -500, "balance": 95},
    )
    assert {e.customer_id for e in received} == {member.customer_id}
    assert {e.entity_type for e in received} == {"LedgerEntry"}


async def test_a_refused_write_publishes_nothing(
    engine: AsyncEngine, members: Members, hub: events.EventHub
) -> None:
    member = await members.new(((10, 1),))
    common = {"customer_id": member.customer_id, "reason": "test"}
    async with hub.subscribe(member.customer_id) as stream:
        with pytest.raises(service.LoyaltyError):
            await service.redeem_points(engine, points=11, idempotency_key="too-many", **common)
        await service.redeem_points(engine, points=10, idempotency_key="all", **common)
        event = await next_event(stream)
    assert (event.kind, event.data["points"]) == (events.EventKind.POINTS_REDEEMED, -10)


async def test_a_subscriber_that_falls_behind_is_ended_not_grown(engine: AsyncEngine) -> None:
    hub = events.EventHub(engine, queue_size=3)
    await hub.start()
    try:
        async with hub.subscribe(7) as stream:
            async with engine.begin() as conn:
                for entity_id in range(1, 6):
                    await events.publish(conn, ticket_event(7, entity_id))
            # SQLite hands events over when the connection goes back to the pool;
            # PostgreSQL's arrive through the listener: wait for the end either way.
            received = []
            with pytest.raises(events.StreamEndedError) as ended:
                async with asyncio.timeout(WAIT_SECONDS):
                    async for event in stream:
                        received.append(event.entity_id)
            assert hub.subscriber_count == 0
    finally:
        await hub.stop()
    assert received == [1, 2, 3]
    assert ended.value.code == events.StreamEndCode.SUBSCRIBER_TOO_SLOW


async def test_stopping_the_hub_ends_its_subscriptions(engine: AsyncEngine) -> None:
    hub = events.EventHub(engine)
    await hub.start()
    async with hub.subscribe(7) as stream:
        await hub.stop()
        with pytest.raises(StopAsyncIteration):
            await next_event(stream)


def test_an_event_too_large_for_notify_is_refused() -> None:
    with pytest.raises(events.EventTooLargeError):
        ticket_event(1, 1, note="x" * events.MAX_MESSAGE_BYTES).encode()


def test_an_event_survives_its_wire_form() -> None:
    event = ticket_event(5, 9, status="OPEN", points=3)
    assert events.CustomerEvent.decode(event.encode()) == event
    with pytest.raises(ValueError, match="not a customer event"):
        events.CustomerEvent.decode('{"c": 1}')


# PostgreSQL: the listener -------------------------------------------------------------


@pytest.fixture
def postgresql_only(database_backend: str) -> None:
    if database_backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")


@pytest.mark.usefixtures("postgresql_only")
async def test_foreign_messages_on_the_channel_are_ignored(
    engine: AsyncEngine, hub: events.EventHub
) -> None:
    async with hub.subscribe(8) as stream:
        async with engine.begin() as conn:
            await conn.execute(
                text("SELECT pg_notify(:channel, 'junk')"), {"channel": events.CHANNEL}
            )
            await events.publish(conn, ticket_event(8, 80))
        assert (await next_event(stream)).entity_id == 80


@pytest.mark.usefixtures("postgresql_only")
async def test_a_lost_listener_ends_its_subscriptions_and_comes_back(
    engine: AsyncEngine, hub: events.EventHub
) -> None:
    async with hub.subscribe(9) as stream:
        async with engine.begin() as conn:
            terminated = await conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'c360-events' AND datname = current_database()"
                )
            )
        assert terminated == 1
        with pytest.raises(events.StreamEndedError) as ended:
            await next_event(stream)
    assert ended.value.code == events.StreamEndCode.EVENTS_INTERRUPTED

    # A new subscription waits for the listener to be back, then misses nothing.
    async with hub.subscribe(9) as stream:
        async with engine.begin() as conn:
            await events.publish(conn, ticket_event(9, 90))
        assert (await next_event(stream)).entity_id == 90
