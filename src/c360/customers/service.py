"""Writes to customer profiles, each one transaction with its history (contact points:
``c360.customers.contacts``).

Rules:

- Validation first (``c360.customers.validation``); a refusal raises ``CustomerError``
  and writes nothing.
- Concurrency: every write to a customer, its profile or its contact points, locks the
  customer row first (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
  SQLite), so two writers to one customer take turns.
- Optimistic concurrency for profile updates: the caller sends the ``version`` it read;
  a different version is refused (``VERSION_CONFLICT``), and the ``UPDATE`` itself only
  matches that version and bumps it, as ``Customer``'s ``version_id_col`` does for ORM
  writers. An update that changes nothing writes nothing and keeps the version.
- History: every changed field gets one ``customer_change`` row in the same transaction
  (``c360.customers.history``); derived columns (``display_name``, ``search_key``...)
  are not history of their own.
- Live updates: a created customer publishes CUSTOMER_CREATED, an update that changed
  something CUSTOMER_UPDATED, each naming the changed fields (never their values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360 import events
from c360.customers.contacts import ContactDraft, clean_new_contacts, contact_history
from c360.customers.errors import CustomerError, CustomerErrorCode
from c360.customers.history import (
    Author,
    FieldChange,
    api_name,
    history_value,
    masked_national_id,
    publish_change,
    record_changes,
)
from c360.customers.models import CustomerStatus, PartyType
from c360.customers.repository import contact_point, customer, lock_customer
from c360.customers.validation import (
    PROFILE_FIELDS,
    check_party_rules,
    clean_national_id,
    clean_profile,
    derived_names,
)
from c360.transactions import write_transaction

__all__ = ["create_customer", "update_customer"]

Code = CustomerErrorCode


# operations ----------------------------------------------------------------------


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
    contacts = clean_new_contacts(contact_points, default_country=row.get("country_code"))
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
                changes += contact_history(stored, added=True)
        await record_changes(conn, created.id, changes, author=author, at=now)
        profile_fields = [change.field for change in changes if change.contact_point_id is None]
        await publish_change(
            conn,
            kind=events.EventKind.CUSTOMER_CREATED,
            customer_id=created.id,
            entity_type="Customer",
            entity_id=created.id,
            fields=[*profile_fields, *(["contactPoints"] if contacts else [])],
            at=now,
        )
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
        old = await _locked_customer(conn, customer_id, field="id")
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
        await record_changes(conn, customer_id, history, author=author, at=now)
        await publish_change(
            conn,
            kind=events.EventKind.CUSTOMER_UPDATED,
            customer_id=customer_id,
            entity_type="Customer",
            entity_id=customer_id,
            fields=[change.field for change in history],
            at=now,
        )
        return updated


# helpers -------------------------------------------------------------------------


async def _locked_customer(conn: AsyncConnection, customer_id: int, *, field: str) -> Row[Any]:
    found = await lock_customer(conn, customer_id)
    if found is None:
        raise CustomerError(Code.CUSTOMER_NOT_FOUND, "no such customer", field=(field,))
    return found


def _profile_history(row: Mapping[str, Any]) -> list[FieldChange]:
    """A new customer's history: every field it was created with (an empty list is none)."""
    given = {column: value for column, value in row.items() if value != []}
    created = _profile_diff({}, given)
    return [FieldChange("partyType", None, history_value(row["party_type"])), *created]


def _profile_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    changes = [
        FieldChange(api_name(field), history_value(old.get(column)), history_value(new.get(column)))
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
