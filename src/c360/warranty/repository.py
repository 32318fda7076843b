"""Reads of warranty policies and claims by lists of ids (rows, no commits).

A policy row carries its catalogue product's columns (``product_*``, all null for goods
the catalogue does not list); a claim row carries its policy's ``currency``, the
currency of the claimed amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.holdings.repository import PRODUCT_COLUMNS, product
from c360.warranty.models import WarrantyClaim, WarrantyPolicy

policy: Table = WarrantyPolicy.__table__  # type: ignore[assignment]
claim: Table = WarrantyClaim.__table__  # type: ignore[assignment]


def _policies_with_product() -> Select[*tuple[Any, ...]]:
    product_columns = [product.c[name].label(f"product_{name}") for name in PRODUCT_COLUMNS]
    return select(policy, *product_columns).outerjoin(product, product.c.id == policy.c.product_id)


def _claims_with_currency() -> Select[*tuple[Any, ...]]:
    return select(claim, policy.c.currency).join(policy, policy.c.id == claim.c.policy_id)


async def policies_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """Policies per customer, the latest purchase first."""
    return (await conn.execute(_policies_by_customer(), {"ids": list(customer_ids)})).all()


@cache  # built once: building a select() costs more CPU than running it
def _policies_by_customer() -> Select[Any]:
    return (
        _policies_with_product()
        .where(policy.c.customer_id.in_(bindparam("ids", expanding=True)))
        .order_by(policy.c.customer_id, policy.c.purchase_date.desc(), policy.c.id.desc())
    )


async def policies_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    return (await conn.execute(_policies_with_product().where(policy.c.id.in_(ids)))).all()


async def claims_by_policy_ids(
    conn: AsyncConnection, policy_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """Claims per policy, the latest reported first."""
    return (await conn.execute(_claims_by_policy(), {"ids": list(policy_ids)})).all()


@cache
def _claims_by_policy() -> Select[Any]:
    return (
        _claims_with_currency()
        .where(claim.c.policy_id.in_(bindparam("ids", expanding=True)))
        .order_by(claim.c.policy_id, claim.c.reported_at.desc(), claim.c.id.desc())
    )


async def claims_by_customer_ids(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> Sequence[Row[Any]]:
    """The claims of every policy of the customers, as ``claims_by_policy_ids`` gives
    them, each row with its ``policy_key``; a policy without claims is one row whose
    claim columns are all null (so that it is known to have none)."""
    return (await conn.execute(_claims_by_customer(), {"ids": list(customer_ids)})).all()


@cache
def _claims_by_customer() -> Select[Any]:
    return (
        select(claim, policy.c.currency, policy.c.id.label("policy_key"))
        .select_from(policy.outerjoin(claim, claim.c.policy_id == policy.c.id))
        .where(policy.c.customer_id.in_(bindparam("ids", expanding=True)))
        .order_by(policy.c.id, claim.c.reported_at.desc(), claim.c.id.desc())
    )


async def claims_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    return (await conn.execute(_claims_with_currency().where(claim.c.id.in_(ids)))).all()
