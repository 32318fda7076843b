"""Writes of interactions and support tickets. Each is one transaction and returns the row stored.

Ticket status follows ``ALLOWED_TRANSITIONS``; anything else is ``INVALID_TRANSITION``,
including a "transition" to the status the ticket already has (so that of two tellers
resolving the same ticket at once, the second learns that it was resolved already).
An update locks its ticket first (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so the status it checks is the status it changes: no transition is lost.

``resolved_at`` is set when a ticket is resolved, or closed without being resolved first;
closing a resolved ticket keeps it. Reopening clears it (the ticket needs work again) but
keeps ``resolution``, the last word on the earlier attempt, until a new one is given.

Live updates: each write publishes its ``CustomerEvent`` inside its transaction
(``c360.events``): INTERACTION_RECORDED, TICKET_OPENED, TICKET_UPDATED (with the status
before and after). A refused write publishes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360 import events
from c360.customers.models import Channel
from c360.holdings.models import Holding
from c360.interactions import repository
from c360.interactions.errors import InteractionError, InteractionErrorCode
from c360.interactions.models import Direction, TicketPriority, TicketStatus
from c360.transactions import customer_exists, write_transaction
from c360.validation import (
    MAX_TEXT_LENGTH,
    now_or,
    optional_text,
    past_time,
    required_text,
)
from c360.warranty.models import WarrantyPolicy

__all__ = [
    "ALLOWED_TRANSITIONS",
    "open_ticket",
    "record_interaction",
    "update_ticket",
]

MAX_TOPIC_LENGTH = 80  # interaction.topic
MAX_AGENT_LENGTH = 80  # interaction.agent
MAX_SUBJECT_LENGTH = 200  # support_ticket.subject

S = TicketStatus
ALLOWED_TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
    S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset(),
}

Code = InteractionErrorCode
interaction: Table = repository.interaction
ticket: Table = repository.ticket
holding: Table = Holding.__table__  # type: ignore[assignment]
policy: Table = WarrantyPolicy.__table__  # type: ignore[assignment]


async def record_interaction(
    engine: AsyncEngine,
    *,
    customer_id: int,
    channel: Channel,
    direction: Direction,
    topic: str,
    summary: str | None = None,
    agent: str | None = None,
    occurred_at: dt.datetime | None = None,
    holding_id: int | None = None,
    warranty_policy_id: int | None = None,
    now: dt.datetime | None = None,
) -> Row[Any]:
    """Record one contact with the customer; ``occurred_at`` defaults to now, never later."""
    now = now_or(now)
    values = {
        "customer_id": customer_id,
        "channel": Channel(channel),
        "direction": Direction(direction),
        "topic": required_text("topic", topic, max_length=MAX_TOPIC_LENGTH),
        "summary": optional_text("summary", summary, max_length=MAX_TEXT_LENGTH),
        "agent": optional_text("agent", agent, max_length=MAX_AGENT_LENGTH),
        "occurred_at": now
        if occurred_at is None
        else past_time("occurred_at", occurred_at, now=now),
        "holding_id": holding_id,
        "warranty_policy_id": warranty_policy_id,
    }
    async with write_transaction(engine) as conn:
        await _check_customer(conn, customer_id)
        await _check_subjects(conn, customer_id, holding_id, warranty_policy_id)
        new_id = await conn.scalar(insert(interaction).values(values).returning(interaction.c.id))
        recorded = (await repository.interactions_by_ids(conn, [int(new_id)]))[0]
        await events.publish_row(
            conn, events.EventKind.INTERACTION_RECORDED, "Interaction", recorded, at=now
        )
        return recorded


async def open_ticket(
    engine: AsyncEngine,
    *,
    customer_id: int,
    subject: str,
    priority: TicketPriority = TicketPriority.NORMAL,
    channel: Channel | None = None,
    holding_id: int | None = None,
    warranty_policy_id: int | None = None,
    now: dt.datetime | None = None,
) -> Row[Any]:
    """Open a ticket (status OPEN, opened now)."""
    now = now_or(now)
    values = {
        "customer_id": customer_id,
        "subject": required_text("subject", subject, max_length=MAX_SUBJECT_LENGTH),
        "status": TicketStatus.OPEN,
        "priority": TicketPriority(priority),
        "channel": None if channel is None else Channel(channel),
        "opened_at": now,
        "holding_id": holding_id,
        "warranty_policy_id": warranty_policy_id,
    }
    async with write_transaction(engine) as conn:
        await _check_customer(conn, customer_id)
        await _check_subjects(conn, customer_id, holding_id, warranty_policy_id)
        new_id = await conn.scalar(insert(ticket).values(values).returning(ticket.c.id))
        opened = (await repository.tickets_by_ids(conn, [int(new_id)]))[0]
        await events.publish_row(
            conn,
            events.EventKind.TICKET_OPENED,
            "SupportTicket",
            opened,
            at=now,
            status=TicketStatus(opened.status).name,
        )
        return opened


async def update_ticket(
    engine: AsyncEngine,
    *,
    ticket_id: int,
    status: TicketStatus | None = None,
    priority: TicketPriority | None = None,
    resolution: str | None = None,
    now: dt.datetime | None = None,
) -> Row[Any]:
    """Move a ticket to ``status`` and/or change its priority or resolution text."""
    now = now_or(now)
    resolution = optional_text("resolution", resolution, max_length=MAX_TEXT_LENGTH)
    if status is None and priority is None and resolution is None:
        raise InteractionError(
            Code.NOTHING_TO_UPDATE, "give a status, a priority or a resolution to change"
        )
    async with write_transaction(engine) as conn:
        current = await _lock_ticket(conn, ticket_id)
        changes: dict[str, Any] = {}
        if status is not None:
            changes |= _transition(current, TicketStatus(status), now=now)
        elif current.status == TicketStatus.CLOSED:
            raise InteractionError(Code.TICKET_CLOSED, "the ticket is closed", field="id")
        if priority is not None:
            changes["priority"] = TicketPriority(priority)
        if resolution is not None:
            changes["resolution"] = resolution
        await conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(changes))
        updated = (await repository.tickets_by_ids(conn, [ticket_id]))[0]
        await events.publish_row(
            conn,
            events.EventKind.TICKET_UPDATED,
            "SupportTicket",
            updated,
            at=now,
            status=TicketStatus(updated.status).name,
            previous_status=TicketStatus(current.status).name,
        )
        return updated


def _transition(current: Row[Any], target: TicketStatus, *, now: dt.datetime) -> dict[str, Any]:
    source = TicketStatus(current.status)
    if target not in ALLOWED_TRANSITIONS[source]:
        raise InteractionError(
            Code.INVALID_TRANSITION,
            f"a ticket cannot go from {source.name} to {target.name}",
            field="status",
        )
    if target == TicketStatus.OPEN:
        return {"status": target, "resolved_at": None}
    if target in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and current.resolved_at is None:
        return {"status": target, "resolved_at": now}
    return {"status": target}


async def _lock_ticket(conn: AsyncConnection, ticket_id: int) -> Row[Any]:
    stmt = select(ticket).where(ticket.c.id == ticket_id).with_for_update()
    row = (await conn.execute(stmt)).one_or_none()
    if row is None:
        raise InteractionError(Code.TICKET_NOT_FOUND, "no such ticket", field="id")
    return row


async def _check_customer(conn: AsyncConnection, customer_id: int) -> None:
    if not await customer_exists(conn, customer_id):
        raise InteractionError(Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id")


async def _check_subjects(
    conn: AsyncConnection, customer_id: int, holding_id: int | None, policy_id: int | None
) -> None:
    """The holding and the warranty policy a contact is about must be the customer's own."""
    if holding_id is not None:
        owner = await conn.scalar(select(holding.c.customer_id).where(holding.c.id == holding_id))
        if owner != customer_id:
            raise InteractionError(
                Code.HOLDING_NOT_FOUND, "no such holding of this customer", field="holding_id"
            )
    if policy_id is not None:
        owner = await conn.scalar(select(policy.c.customer_id).where(policy.c.id == policy_id))
        if owner != customer_id:
            raise InteractionError(
                Code.WARRANTY_POLICY_NOT_FOUND,
                "no such warranty policy of this customer",
                field="warranty_policy_id",
            )
