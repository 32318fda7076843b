"""Writes to contact points: add, change, remove. Each is one transaction with its history.

Rules (on top of the locking and history rules of ``c360.customers.service``):

- Emails are checked for syntax and phones parsed in the contact's or the customer's
  country (``c360.customers.validation``); the stored ``value`` and ``search_key`` are
  what the demo data and the search use.
- A customer has each address or number once among its current contact points
  (``DUPLICATE_CONTACT_POINT``); the customer row is locked first, so two writers adding
  the same number take turns and the second one is refused.
- One primary contact point per kind: a new primary one demotes the old one, and a new
  contact point without ``is_primary`` is primary when its kind has none.
- A changed address or number is no longer verified. A removed contact point is deleted;
  its history stays.
- Live updates: each change publishes CUSTOMER_UPDATED about the contact point, naming
  its changed fields (all of them when it is added or removed), never their values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360 import events
from c360.customers.contact_validation import (
    CONTACT_FIELDS,
    MAX_CONTACT_POINTS,
    clean_contact,
    contact_identity,
)
from c360.customers.errors import CustomerError, CustomerErrorCode
from c360.customers.history import (
    Author,
    FieldChange,
    api_name,
    history_value,
    publish_change,
    record_changes,
)
from c360.customers.models import ContactKind
from c360.customers.repository import contact_point, lock_customer
from c360.transactions import write_transaction

__all__ = [
    "ContactDraft",
    "ContactResult",
    "add_contact_point",
    "clean_new_contacts",
    "contact_history",
    "contact_point_owner",
    "remove_contact_point",
    "update_contact_point",
]

Code = CustomerErrorCode


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A new contact point as a client gave it: field name -> value (CONTACT_FIELDS)."""

    kind: ContactKind
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ContactResult:
    customer: Row[Any]
    contact_point: Row[Any]  # after a removal: the row as it was


# operations ----------------------------------------------------------------------


async def contact_point_owner(engine: AsyncEngine, contact_point_id: int) -> int | None:
    """The customer a contact point belongs to, or None when there is no such contact point."""
    async with engine.connect() as conn:
        stmt = select(contact_point.c.customer_id).where(contact_point.c.id == contact_point_id)
        owner = await conn.scalar(stmt)
    return None if owner is None else int(owner)


async def add_contact_point(
    engine: AsyncEngine,
    *,
    customer_id: int,
    draft: ContactDraft,
    author: Author,
    now: dt.datetime,
) -> ContactResult:
    """A new current contact point. Without ``is_primary`` it becomes primary when the
    customer has no current primary one of its kind; with ``is_primary`` true it takes
    over from the old primary one."""
    async with write_transaction(engine) as conn:
        owner = await _locked_customer(conn, customer_id, field="customer_id")
        row = clean_contact(draft.kind, draft.values, default_country=owner.country_code)
        current = await _current_contacts(conn, customer_id, draft.kind, now=now)
        _check_not_duplicate(row, current)
        wants_primary = draft.values.get("is_primary")
        row["is_primary"] = (
            not any(other.is_primary for other in current)
            if wants_primary is None
            else wants_primary
        )
        changes = await _demote_others(conn, row, current) if row["is_primary"] else []
        stmt = (
            insert(contact_point)
            .values(**row, customer_id=customer_id, valid_from=now, created_at=now)
            .returning(*contact_point.c)
        )
        added = (await conn.execute(stmt)).one()
        history = [*contact_history(added, added=True), *changes]
        await record_changes(conn, customer_id, history, author=author, at=now)
        await _publish(conn, customer_id, added.id, history, at=now)
        return ContactResult(owner, added)


async def update_contact_point(
    engine: AsyncEngine,
    *,
    customer_id: int,
    contact_point_id: int,
    changes: Mapping[str, Any],
    author: Author,
    now: dt.datetime,
) -> ContactResult:
    """Change some of a contact point's fields (CONTACT_FIELDS; None clears a field). A
    changed address or number is no longer verified."""
    async with write_transaction(engine) as conn:
        owner = await _locked_customer(conn, customer_id, field="id")
        old = await _contact_of(conn, customer_id, contact_point_id)
        given = {field: old._mapping[field] for field in CONTACT_FIELDS}
        if old.kind == ContactKind.POSTAL:
            given["value"] = None  # made from the parts again
        given.update(changes)
        if "is_primary" not in changes:
            given["is_primary"] = old.is_primary
        row = clean_contact(old.kind, given, default_country=owner.country_code)
        current = await _current_contacts(conn, customer_id, old.kind, now=now)
        others = [other for other in current if other.id != old.id]
        _check_not_duplicate(row, others)
        if row["value"] != old.value:
            row["verified_at"] = None
        row = {column: value for column, value in row.items() if old._mapping[column] != value}
        if not row:
            return ContactResult(owner, old)
        history = [
            FieldChange(
                api_name(column), history_value(old._mapping[column]), history_value(value), old.id
            )
            for column, value in row.items()
            if column != "search_key"
        ]
        if row.get("is_primary"):
            history += await _demote_others(conn, {"kind": old.kind}, others)
        stmt = (
            update(contact_point)
            .where(contact_point.c.id == old.id)
            .values(row)
            .returning(*contact_point.c)
        )
        updated = (await conn.execute(stmt)).one()
        await record_changes(conn, customer_id, history, author=author, at=now)
        await _publish(conn, customer_id, old.id, history, at=now)
        return ContactResult(owner, updated)


async def remove_contact_point(
    engine: AsyncEngine,
    *,
    customer_id: int,
    contact_point_id: int,
    author: Author,
    now: dt.datetime,
) -> ContactResult:
    """Delete a contact point; its history stays (every field to null)."""
    async with write_transaction(engine) as conn:
        owner = await _locked_customer(conn, customer_id, field="id")
        old = await _contact_of(conn, customer_id, contact_point_id)
        await conn.execute(delete(contact_point).where(contact_point.c.id == old.id))
        history = contact_history(old, added=False)
        await record_changes(conn, customer_id, history, author=author, at=now)
        await _publish(conn, customer_id, old.id, history, at=now)
        return ContactResult(owner, old)


# helpers -------------------------------------------------------------------------


async def _publish(
    conn: AsyncConnection,
    customer_id: int,
    contact_point_id: int,
    history: Sequence[FieldChange],
    *,
    at: dt.datetime,
) -> None:
    """CUSTOMER_UPDATED about one contact point: its own changed fields (another one it
    demoted from primary is not named: a screen reloads the customer's contacts anyway)."""
    await publish_change(
        conn,
        kind=events.EventKind.CUSTOMER_UPDATED,
        customer_id=customer_id,
        entity_type="ContactPoint",
        entity_id=contact_point_id,
        fields=[change.field for change in history if change.contact_point_id == contact_point_id],
        at=at,
    )


async def _locked_customer(conn: AsyncConnection, customer_id: int, *, field: str) -> Row[Any]:
    found = await lock_customer(conn, customer_id)
    if found is None:
        raise CustomerError(Code.CUSTOMER_NOT_FOUND, "no such customer", field=(field,))
    return found


async def _contact_of(conn: AsyncConnection, customer_id: int, contact_point_id: int) -> Row[Any]:
    stmt = select(contact_point).where(
        contact_point.c.id == contact_point_id, contact_point.c.customer_id == customer_id
    )
    found = (await conn.execute(stmt)).one_or_none()
    if found is None:
        raise CustomerError(Code.CONTACT_POINT_NOT_FOUND, "no such contact point", field=("id",))
    return found


async def _current_contacts(
    conn: AsyncConnection, customer_id: int, kind: ContactKind, *, now: dt.datetime
) -> list[Row[Any]]:
    """The customer's contact points of ``kind`` still valid at ``now``."""
    stmt = select(contact_point).where(
        contact_point.c.customer_id == customer_id,
        contact_point.c.kind == kind,
        (contact_point.c.valid_to.is_(None)) | (contact_point.c.valid_to > now),
    )
    return list((await conn.execute(stmt)).all())


def _check_not_duplicate(row: Mapping[str, Any], others: Sequence[Any]) -> None:
    identity = contact_identity(row["kind"], row["value"])
    if any(contact_identity(other.kind, other.value) == identity for other in others):
        raise CustomerError(
            Code.DUPLICATE_CONTACT_POINT,
            f"the customer already has this {row['kind']} contact",
            field=("address_line1",) if row["kind"] == ContactKind.POSTAL else ("value",),
        )


async def _demote_others(
    conn: AsyncConnection, row: Mapping[str, Any], others: Sequence[Any]
) -> list[FieldChange]:
    """One primary contact point per kind: the others of ``row``'s kind stop being primary."""
    demoted = [other.id for other in others if other.is_primary and other.kind == row["kind"]]
    if demoted:
        stmt = update(contact_point).where(contact_point.c.id.in_(demoted))
        await conn.execute(stmt.values(is_primary=False))
    return [FieldChange("isPrimary", "true", "false", other_id) for other_id in demoted]


def clean_new_contacts(
    drafts: Sequence[ContactDraft], *, default_country: str | None
) -> list[dict[str, Any]]:
    if len(drafts) > MAX_CONTACT_POINTS:
        raise CustomerError(
            Code.TOO_LONG,
            f"at most {MAX_CONTACT_POINTS} contact points at once",
            field=("contact_points",),
        )
    rows: list[dict[str, Any]] = []
    for index, draft in enumerate(drafts):
        try:
            row = clean_contact(draft.kind, draft.values, default_country=default_country)
            same_kind = [other for other in rows if other["kind"] == draft.kind]
            identity = contact_identity(row["kind"], row["value"])
            if any(contact_identity(o["kind"], o["value"]) == identity for o in same_kind):
                raise CustomerError(
                    Code.DUPLICATE_CONTACT_POINT,
                    "this contact is in the list twice",
                    field=("value",),
                )
            if row["is_primary"] and any(other["is_primary"] for other in same_kind):
                raise CustomerError(
                    Code.INVALID_VALUE,
                    f"only one {draft.kind} contact can be primary",
                    field=("is_primary",),
                )
        except CustomerError as error:
            raise error.under("contact_points", str(index)) from None
        rows.append(row)
    for row in rows:  # the first of each kind is primary unless another one is
        same_kind = [other for other in rows if other["kind"] == row["kind"]]
        if not any(other["is_primary"] for other in same_kind):
            same_kind[0]["is_primary"] = True
    return rows


def contact_history(row: Row[Any], *, added: bool) -> list[FieldChange]:
    """Every field of an added (from null) or removed (to null) contact point."""
    changes: list[FieldChange] = []
    for column in ("kind", *CONTACT_FIELDS):
        value = history_value(row._mapping[column])
        if value is not None:
            old, new = (None, value) if added else (value, None)
            changes.append(FieldChange(api_name(column), old, new, row.id))
    return changes
