"""Reads of consents by lists of ids (rows, no commits), and the rule for current state.

Consent rows are append-only: the state of a (customer, purpose, partner) is its newest
row. Rows carry their partner's ``partner_code`` and ``partner_name`` (null when the
purpose has no partner).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.consent.models import Consent, Partner

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
