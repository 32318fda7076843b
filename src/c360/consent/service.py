"""Granting and revoking consent: rows are appended, never updated or deleted.

A row is appended only when it changes the decision in force for its (customer,
purpose, partner). Granting what is granted, or revoking what is revoked, records
nothing and returns the row in force (``recorded=False``): a retry, or two channels
relaying the same decision, leave one row. "Never asked" and "revoked" are different
states, so revoking a purpose the customer never decided on records the refusal.

Writes for one customer are serialised (its row is locked on PostgreSQL, the database
on SQLite), so two identical grants at once cannot both append. The new row is the
newest of its key by (``captured_at``, ``id``), the order ``current_consents`` reads:
``captured_at`` is now, or the newest row's own time should that be later (a request
that started later but committed first, or a clock ahead elsewhere), never earlier.

Live updates: an appended row publishes CONSENT_GRANTED or CONSENT_REVOKED inside the
transaction (``c360.events``); a decision already in force publishes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360 import events
from c360.consent import repository
from c360.consent.errors import ConsentError, ConsentErrorCode
from c360.consent.models import ConsentPurpose
from c360.transactions import customer_exists, write_transaction
from c360.validation import aware_utc, required_text

__all__ = ["ConsentChange", "grant_consent", "revoke_consent"]

MAX_SOURCE_LENGTH = 40  # consent.source
MAX_PARTNER_CODE_LENGTH = 32  # partner.code

Code = ConsentErrorCode
consent: Table = repository.consent
partner: Table = repository.partner


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """The row in force after the write, and the customer's current consents."""

    consent: Row[Any]  # repository shape: with partner_code and partner_name
    current: Sequence[Row[Any]]
    recorded: bool  # False: the decision was in force already, nothing was appended


async def grant_consent(
    engine: AsyncEngine,
    *,
    customer_id: int,
    purpose: ConsentPurpose,
    source: str,
    partner_code: str | None = None,
    now: dt.datetime | None = None,
) -> ConsentChange:
    """Record that the customer agrees to ``purpose`` (with ``partner_code`` for sharing)."""
    return await _decide(engine, customer_id, purpose, partner_code, source, True, now)


async def revoke_consent(
    engine: AsyncEngine,
    *,
    customer_id: int,
    purpose: ConsentPurpose,
    source: str,
    partner_code: str | None = None,
    now: dt.datetime | None = None,
) -> ConsentChange:
    """Record that the customer withdraws (or refuses) ``purpose``."""
    return await _decide(engine, customer_id, purpose, partner_code, source, False, now)


async def _decide(
    engine: AsyncEngine,
    customer_id: int,
    purpose: ConsentPurpose,
    partner_code: str | None,
    source: str,
    granted: bool,
    now: dt.datetime | None,
) -> ConsentChange:
    now = dt.datetime.now(dt.UTC) if now is None else aware_utc("now", now)
    purpose = ConsentPurpose(purpose)
    source = required_text("source", source, max_length=MAX_SOURCE_LENGTH)
    _check_partner_rule(purpose, partner_code)
    async with write_transaction(engine) as conn:
        if not await customer_exists(conn, customer_id, lock=True):
            raise ConsentError(Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id")
        partner_id = None if partner_code is None else await _partner_id(conn, partner_code)
        history = await repository.consents_by_customer_ids(conn, [customer_id])
        in_force = _in_force(history, purpose, partner_id)
        if in_force is not None and in_force.granted == granted:
            return ConsentChange(in_force, repository.current_consents(history), recorded=False)
        values = {
            "customer_id": customer_id,
            "purpose": purpose,
            "partner_id": partner_id,
            "granted": granted,
            "captured_at": now if in_force is None else max(now, in_force.captured_at),
            "source": source,
        }
        new_id = int(await conn.scalar(insert(consent).values(values).returning(consent.c.id)))
        history = await repository.consents_by_customer_ids(conn, [customer_id])
        (row,) = (row for row in history if row.id == new_id)
        kind = events.EventKind.CONSENT_GRANTED if granted else events.EventKind.CONSENT_REVOKED
        event = events.CustomerEvent(
            customer_id=customer_id,
            kind=kind,
            entity_type="Consent",
            entity_id=new_id,
            occurred_at=now,
            data={"purpose": purpose.name},
        )
        await events.publish(conn, event)
        return ConsentChange(row, repository.current_consents(history), recorded=True)


def _check_partner_rule(purpose: ConsentPurpose, partner_code: str | None) -> None:
    if purpose == ConsentPurpose.PARTNER_SHARING and partner_code is None:
        raise ConsentError(
            Code.PARTNER_REQUIRED, "PARTNER_SHARING needs a partnerCode", field="partner_code"
        )
    if purpose != ConsentPurpose.PARTNER_SHARING and partner_code is not None:
        raise ConsentError(
            Code.PARTNER_NOT_ALLOWED,
            f"{purpose.name} is not given to a partner: leave partnerCode out",
            field="partner_code",
        )


async def _partner_id(conn: AsyncConnection, code: str) -> int:
    found = None
    if len(code) <= MAX_PARTNER_CODE_LENGTH:
        found = await conn.scalar(select(partner.c.id).where(partner.c.code == code))
    if found is None:
        raise ConsentError(
            Code.PARTNER_NOT_FOUND, "no partner with that code", field="partner_code"
        )
    return int(found)


def _in_force(
    history: Sequence[Row[Any]], purpose: ConsentPurpose, partner_id: int | None
) -> Row[Any] | None:
    rows = [row for row in history if row.purpose == purpose and row.partner_id == partner_id]
    return max(rows, key=lambda row: (row.captured_at, row.id), default=None)
