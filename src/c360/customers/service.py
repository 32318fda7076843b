"""Writes to customer profiles and contact points, each one transaction with its history.

Rules:

- Validation first (``c360.customers.validation``); a refusal raises ``CustomerError``
  and writes nothing.
- Concurrency: every write locks the customer row (``SELECT ... FOR UPDATE`` on
  PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two writers to one customer take turns
  and a duplicate check sees every committed contact point.
- Optimistic concurrency for profile updates: the caller sends the ``version`` it read;
  a different version is refused (``VERSION_CONFLICT``), and the ``UPDATE`` itself only
  matches that version and bumps it, as ``Customer``'s ``version_id_col`` does for ORM
  writers. An update that changes nothing writes nothing and keeps the version.
- History: every changed field gets one ``customer_change`` row in the same transaction
  (``c360.customers.history``); derived columns (``display_name``, ``search_key``...)
  are not history of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360.customers.errors import CustomerError, CustomerErrorCode
from c360.customers.history import (
    FieldChange,
    history_value,
    masked_national_id,
    record_changes,
)
from c360.customers.models import ContactKind, CustomerStatus, PartyType
from c360.customers.repository import contact_point, customer
from c360.customers.validation import (
    CONTACT_FIELDS,
    MAX_CONTACT_POINTS,
    PROFILE_FIELDS,
    check_party_rules,
    clean_contact,
    clean_national_id,
    clean_profile,
    contact_identity,
    derived_names,
)
from c360.transactions import write_transaction

__all__ = [
    "Author",
    "ContactDraft",
    "ContactResult",
    "add_contact_point",
    "contact_point_owner",
    "create_customer",
    "remove_contact_point",
    "update_contact_point",
    "update_customer",
]

Code = CustomerErrorCode


@dataclass(frozen=True, slots=True)
class Author:
    """Who makes a change (a principal's subject) and through what (a mutation or a system)."""

    actor: str
    via: str


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A new contact point as a client gave it: field name -> value (CONTACT_FIELDS)."""

    kind: ContactKind
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ContactResult:
    customer: Row[Any]
    contact_point: Row[Any]  # after a removal: the row as it was


# customers ---------------------------------------------------------------------------


async def create_customer(
    engine: AsyncEngine,
    *,
    party_type: PartyType,
    profile: Mapping[str, Any],
    national_id: str | None = None,
    contact_points: Sequence[ContactDraft] = (),
    author: Author,
    secret_key: str,
    now: dt.datetime,
) -> Row[Any]:
    """A new customer (status PROSPECT and customer since today unless given), its contact
    points and its history. ``profile`` maps PROFILE_FIELDS names to values."""
    today = now.date()
    row: dict[str, Any] = {
        "party_type": party_type,
        "status": CustomerStatus.PROSPECT,
        "customer_since_date": today,
        "interests": [],
    }
    given = {field: value for field, value in profile.items() if value is not None}
    row.update(clean_profile(given, today=today))
    check_party_rules(row)
    row.update(derived_names(row))
    if national_id is not None:
        row.update(clean_national_id(national_id, secret_key=secret_key))
    contacts = _clean_new_contacts(contact_points, default_country=row.get("country_code"))
    row.update(created_at=now, updated_at=now, version=1)

    async with write_transaction(engine) as conn:
        created = (await conn.execute(insert(customer).values(row).returning(*customer.c))).one()
        changes = _profile_history(row)
        if contacts:
            stmt = insert(contact_point).returning(*contact_point.c, sort_by_parameter_order=True)
            values = [
                {**contact, "customer_id": created.id, "valid_from": now, "created_at": now}
                for contact in contacts
            ]
            for stored in (await conn.execute(stmt, values)).all():
                changes += _contact_history(stored, added=True)
        await _record(conn, created.id, changes, author, now)
        return created


async def update_customer(
    engine: AsyncEngine,
    *,
    customer_id: int,
    version: int,
    changes: Mapping[str, Any],
    author: Author,
    secret_key: str,
    now: dt.datetime,
) -> Row[Any]:
    """Apply ``changes`` (PROFILE_FIELDS names, plus ``national_id``; None clears a field)
    to the customer at ``version``."""
    cleaned = clean_profile(
        {field: value for field, value in changes.items() if field != "national_id"},
        today=now.date(),
    )
    if "national_id" in changes:
        given = changes["national_id"]
        cleaned.update(
            {"national_id_hash": None, "national_id_last4": None}
            if given is None
            else clean_national_id(given, secret_key=secret_key)
        )

    async with write_transaction(engine) as conn:
        old = await _lock_customer(conn, customer_id, field="id")
        if old.version != version:
            raise CustomerError(
                Code.VERSION_CONFLICT,
                f"the customer changed since version {version}: it is at version "
                f"{old.version}; read it again and reapply the change",
                field=("version",),
            )
        merged = {**old._mapping, **cleaned}
        check_party_rules(merged)
        history = _profile_diff(old._mapping, merged)
        if not history:
            return old
        values = {column: merged[column] for column in cleaned}
        values.update(derived_names(merged), updated_at=now, version=old.version + 1)
        stmt = (
            update(customer)
            .where(customer.c.id == customer_id, customer.c.version == version)
            .values(values)
            .returning(*customer.c)
        )
        updated = (await conn.execute(stmt)).one_or_none()
        if updated is None:  # cannot happen under the row lock; kept as the protocol's guard
            raise CustomerError(Code.VERSION_CONFLICT, "the customer changed", field=("version",))
        await _record(conn, customer_id, history, author, now)
        return updated


# contact points ----------------------------------------------------------------------


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
        owner = await _lock_customer(conn, customer_id, field="customer_id")
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
        await _record(
            conn, customer_id, [*_contact_history(added, added=True), *changes], author, now
        )
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
        owner = await _lock_customer(conn, customer_id, field="id")
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
                _camel(column), history_value(old._mapping[column]), history_value(value), old.id
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
        await _record(conn, customer_id, history, author, now)
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
        owner = await _lock_customer(conn, customer_id, field="id")
        old = await _contact_of(conn, customer_id, contact_point_id)
        await conn.execute(delete(contact_point).where(contact_point.c.id == old.id))
        await _record(conn, customer_id, _contact_history(old, added=False), author, now)
        return ContactResult(owner, old)


# helpers -----------------------------------------------------------------------------


async def _lock_customer(conn: AsyncConnection, customer_id: int, *, field: str) -> Row[Any]:
    # SQLite renders no FOR UPDATE: BEGIN IMMEDIATE has locked the database already.
    stmt = select(customer).where(customer.c.id == customer_id).with_for_update()
    found = (await conn.execute(stmt)).one_or_none()
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


def _clean_new_contacts(
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


def _profile_history(row: Mapping[str, Any]) -> list[FieldChange]:
    """A new customer's history: every field it was created with (an empty list is none)."""
    given = {column: value for column, value in row.items() if value != []}
    created = _profile_diff({}, given)
    return [FieldChange("partyType", None, history_value(row["party_type"])), *created]


def _profile_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    changes = [
        FieldChange(_camel(field), history_value(old.get(column)), history_value(new.get(column)))
        for field, column in PROFILE_FIELDS.items()
        if old.get(column) != new.get(column)
    ]
    if old.get("national_id_hash") != new.get("national_id_hash"):
        changes.append(
            FieldChange(
                "nationalId",
                masked_national_id(old.get("national_id_last4")),
                masked_national_id(new.get("national_id_last4")),
            )
        )
    return changes


def _contact_history(row: Row[Any], *, added: bool) -> list[FieldChange]:
    """Every field of an added (from null) or removed (to null) contact point."""
    changes: list[FieldChange] = []
    for column in ("kind", *CONTACT_FIELDS):
        value = history_value(row._mapping[column])
        if value is not None:
            old, new = (None, value) if added else (value, None)
            changes.append(FieldChange(_camel(column), old, new, row.id))
    return changes


async def _record(
    conn: AsyncConnection,
    customer_id: int,
    changes: Sequence[FieldChange],
    author: Author,
    now: dt.datetime,
) -> None:
    await record_changes(conn, customer_id, changes, actor=author.actor, via=author.via, at=now)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
