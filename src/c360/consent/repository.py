"""Reads of consents by lists of ids (rows, no commits), and the rule for current state.

Consent rows are append-only: the state of a (customer, purpose, partner) is its newest
row. Rows carry their partner's ``partner_code`` and ``partner_name`` (null when the
purpose has no partner).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    bindparam,
    exists,
    literal,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.consent.models import Consent, ConsentPurpose, Partner

consent: Table = Consent.__table__  # type: ignore[assignment]
partner: Table = Partner.__table__  # type: ignore[assignment]


def _consents_with_partner() -> Select[*tuple[Any, ...]]:
    return select(
        consent, partner.c.code.label("partner_code"), partner.c.name.label("partner_name")
    ).outerjoin(partner, partner.c.id == consent.c.partner_id)


async def consents_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """The whole history per customer: by purpose and partner, newest first within each."""
    return (await conn.execute(_consents_by_customer(), {"ids": list(customer_ids)})).all()


@cache  # built once: building a select() costs more CPU than running it
def _consents_by_customer() -> Select[Any]:
    return (
        _consents_with_partner()
        .where(consent.c.customer_id.in_(bindparam("ids", expanding=True)))
        .order_by(
            consent.c.customer_id,
            consent.c.purpose,
            # Explicit, because SQLite and PostgreSQL sort nulls at opposite ends.
            consent.c.partner_id.nulls_first(),
            consent.c.captured_at.desc(),
            consent.c.id.desc(),
        )
    )


async def consents_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    return (await conn.execute(_consents_with_partner().where(consent.c.id.in_(ids)))).all()


def current_consents(history: Iterable[Row[Any]]) -> list[Row[Any]]:
    """The newest row per (purpose, partner) of one customer's history, by purpose and partner."""
    newest: dict[tuple[Any, Any], Row[Any]] = {}
    for row in history:
        key = (row.purpose, row.partner_id)
        seen = newest.get(key)
        if seen is None or (row.captured_at, row.id) > (seen.captured_at, seen.id):
            newest[key] = row
    return sorted(newest.values(), key=lambda row: (row.purpose, row.partner_code or ""))


def granted_now(
    customer_id: ColumnElement[int],
    purpose: ConsentPurpose,
    *,
    partner_id: int | None = None,
    ids_above: int | None = None,
    ids_below: int | None = None,
) -> ColumnElement[bool]:
    """SQL: the consent in force for (``customer_id``, ``purpose``[, ``partner_id``]) grants.

    The same rule as ``current_consents``, as an EXISTS for a WHERE clause: a granting row
    with no newer row (ties broken by id) for the same customer, purpose and partner.
    Without ``partner_id``, any partner's (or the partnerless) consent counts.
    ``ids_above`` / ``ids_below`` also limit ``customer_id`` to that range, on the consent
    rows: see ``c360.customers.visibility.visible_condition``.
    """
    granting: Table = consent.alias("granting")  # type: ignore[assignment]
    newer: Table = consent.alias("newer")  # type: ignore[assignment]
    if partner_id is None:
        same_partner = newer.c.partner_id.is_not_distinct_from(granting.c.partner_id)
    else:
        # Both rows are this partner's, so never null: a plain equality, which the
        # consent indexes answer. PostgreSQL costs an IS NOT DISTINCT FROM probe so high
        # that it reads and sorts every consent of the partner instead.
        same_partner = newer.c.partner_id == granting.c.partner_id
    superseded = exists().where(
        newer.c.customer_id == granting.c.customer_id,
        newer.c.purpose == granting.c.purpose,
        same_partner,
        tuple_(newer.c.captured_at, newer.c.id) > tuple_(granting.c.captured_at, granting.c.id),
    )
    conditions = [
        granting.c.customer_id == customer_id,
        granting.c.purpose == purpose,
        granting.c.granted == true(),
        ~superseded,
    ]
    if partner_id is not None:
        # Rendered into the SQL, not bound: each partner gets a statement, and so a
        # generic plan (c360.database asks for those), of its own. One plan for all would
        # be made for whichever partner came first; a big partner's plan walks the
        # customers, which for a partner with few costs a walk through all of them.
        partner = literal(partner_id, consent.c.partner_id.type, literal_execute=True)
        conditions.append(granting.c.partner_id == partner)
    if ids_above is not None:
        conditions.append(granting.c.customer_id > ids_above)
    if ids_below is not None:
        conditions.append(granting.c.customer_id < ids_below)
    return exists().where(*conditions)
