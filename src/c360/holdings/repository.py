"""Reads of holdings and products by lists of ids (rows, no commits).

A holding row always carries its product's columns (prefixed ``product_``): the
catalogue is small, and one join is cheaper than a second round trip for every page
of holdings that shows the product's name.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.holdings.models import Holding, HoldingStatus, Product

holding: Table = Holding.__table__  # type: ignore[assignment]
product: Table = Product.__table__  # type: ignore[assignment]

# What "holds a product" means in filters and in the teller's summary: the holding
# exists and is not closed; a pending application is not held yet.
HELD_STATUSES: frozenset[HoldingStatus] = frozenset(
    {HoldingStatus.ACTIVE, HoldingStatus.DORMANT, HoldingStatus.IN_ARREARS}
)

# The product columns a holding row carries, each labelled ``product_<column>``.
PRODUCT_COLUMNS = ("code", "name", "category", "description", "currency", "is_active")


def _holdings_with_product() -> Select[*tuple[Any, ...]]:
    product_columns = [product.c[name].label(f"product_{name}") for name in PRODUCT_COLUMNS]
    return select(holding, *product_columns).join(product, product.c.id == holding.c.product_id)


async def holdings_by_customer_ids(
    conn: AsyncConnection,
    customer_ids: Sequence[int],
    *,
    statuses: Collection[HoldingStatus] | None = None,
) -> Sequence[Row[Any]]:
    """Holdings per customer, oldest first; only those in ``statuses`` when given."""
    params: dict[str, Any] = {"ids": list(customer_ids)}
    if statuses is not None:
        params["statuses"] = sorted(statuses)
    return (await conn.execute(_holdings(statuses is not None), params)).all()


@cache  # built once: building a select() costs more CPU than running it
def _holdings(by_status: bool) -> Select[Any]:
    stmt = _holdings_with_product().where(
        holding.c.customer_id.in_(bindparam("ids", expanding=True))
    )
    if by_status:
        stmt = stmt.where(holding.c.status.in_(bindparam("statuses", expanding=True)))
    return stmt.order_by(holding.c.customer_id, holding.c.opened_date, holding.c.id)


async def holdings_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    result = await conn.execute(_holdings_with_product().where(holding.c.id.in_(ids)))
    return result.all()


async def products_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> Sequence[Row[Any]]:
    result = await conn.execute(select(product).where(product.c.id.in_(ids)))
    return result.all()
