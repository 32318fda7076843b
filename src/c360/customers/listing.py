"""The marketer's customer list: filters as SQL ``EXISTS`` subqueries, keyset pagination.

Every filter is a predicate on the customer row, so the database does all of the
filtering and counting; nothing is dropped after the fetch. Pages are cut with a keyset
("after this sort value and id"), which stays as fast on page 500 as on page 1 and does
not skip or repeat rows when customers are added between two pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.consent.models import ConsentPurpose
from c360.consent.repository import granted_now
from c360.customers.models import ContactKind, CustomerStatus, Segment
from c360.customers.normalize import fold_text
from c360.customers.repository import contact_point, customer
from c360.customers.visibility import UNRESTRICTED, CustomerScope, visible_condition
from c360.holdings.models import ProductCategory
from c360.holdings.repository import HELD_STATUSES, holding, product
from c360.interactions.repository import OPEN_TICKET_STATUSES, ticket
from c360.loyalty.repository import account, tier

__all__ = [
    "CustomerFilter",
    "CustomerOrder",
    "CustomerOrderField",
    "ListPosition",
    "SortDirection",
    "count_customers",
    "count_statement",
    "list_customers",
    "list_statement",
    "sort_value",
]


class CustomerOrderField(StrEnum):
    CREATED_AT = "created_at"
    # Sorted by the folded name, so that "Łucja" sorts with "Lucja" and not after "Z".
    DISPLAY_NAME = "display_name"
    CUSTOMER_SINCE = "customer_since"
    ID = "id"


class SortDirection(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True, slots=True)
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.ID
    direction: SortDirection = SortDirection.ASC


@dataclass(frozen=True, slots=True)
class ListPosition:
    """Where the previous page ended: its last row's sort value and id."""

    sort_value: Any
    id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFilter:
    """Customers matching every given criterion; a list criterion matches any of its values.

    An empty list matches no customer (nothing was asked for), ``None`` means "any".
    """

    segments: Sequence[Segment] | None = None
    statuses: Sequence[CustomerStatus] | None = None
    branches: Sequence[str] | None = None
    # Any postal address of the customer in this city (case- and accent-insensitive).
    city: str | None = None
    # Holds (in a HELD_STATUSES holding) any of these products / any product of these categories.
    product_codes: Sequence[str] | None = None
    product_categories: Sequence[ProductCategory] | None = None
    # A loyalty account in any of these tiers (tier codes).
    loyalty_tiers: Sequence[str] | None = None
    has_open_ticket: bool | None = None
    # The customer's current consent for this purpose is granted (with any partner).
    consent_granted: ConsentPurpose | None = None
    # created_at in [created_from, created_before).
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None


_SORT_COLUMNS = {
    CustomerOrderField.CREATED_AT: customer.c.created_at,
    CustomerOrderField.DISPLAY_NAME: customer.c.search_name,
    CustomerOrderField.CUSTOMER_SINCE: customer.c.customer_since_date,
    CustomerOrderField.ID: customer.c.id,
}


def sort_value(row: Row[Any], field: CustomerOrderField) -> Any:
    """The value a row is sorted by under ``field`` (what a cursor must remember)."""
    return getattr(row, _SORT_COLUMNS[field].key)


async def list_customers(
    conn: AsyncConnection,
    *,
    filter: CustomerFilter,
    order: CustomerOrder,
    limit: int,
    after: ListPosition | None = None,
    scope: CustomerScope = UNRESTRICTED,
) -> Sequence[Row[Any]]:
    """Up to ``limit`` visible customers matching ``filter`` in ``order``, after ``after``."""
    stmt = list_statement(filter=filter, order=order, limit=limit, after=after, scope=scope)
    return (await conn.execute(stmt)).all()


def list_statement(
    *,
    filter: CustomerFilter,
    order: CustomerOrder,
    limit: int,
    after: ListPosition | None = None,
    scope: CustomerScope = UNRESTRICTED,
) -> Select[Any]:
    """The statement ``list_customers`` runs (bench/explain_partner.py EXPLAINs it)."""
    column = _SORT_COLUMNS[order.field]
    ids_above, ids_below = _id_range(order, after)
    clauses = filter_clauses(filter, scope, ids_above=ids_above, ids_below=ids_below)
    stmt = select(customer).where(*clauses)
    if after is not None:
        stmt = stmt.where(_after(column, order.direction, after))
    if order.direction is SortDirection.ASC:
        ordering = [column.asc(), customer.c.id.asc()]
    else:
        ordering = [column.desc(), customer.c.id.desc()]
    if order.field is CustomerOrderField.ID:
        ordering = ordering[:1]
    return stmt.order_by(*ordering).limit(limit)


async def count_customers(
    conn: AsyncConnection, *, filter: CustomerFilter, scope: CustomerScope = UNRESTRICTED
) -> int:
    return int((await conn.execute(count_statement(filter=filter, scope=scope))).scalar_one())


def count_statement(*, filter: CustomerFilter, scope: CustomerScope = UNRESTRICTED) -> Select[Any]:
    """The statement ``count_customers`` runs."""
    return select(func.count()).select_from(customer).where(*filter_clauses(filter, scope))


def _after(
    column: ColumnElement[Any], direction: SortDirection, after: ListPosition
) -> ColumnElement[bool]:
    ascending = direction is SortDirection.ASC
    if column is customer.c.id:
        return customer.c.id > after.id if ascending else customer.c.id < after.id
    # A row-value comparison: one index range on (column, id), on both databases.
    mine = tuple_(column, customer.c.id)
    bound = tuple_(literal(after.sort_value, column.type), literal(after.id, customer.c.id.type))
    return mine > bound if ascending else mine < bound


def _id_range(order: CustomerOrder, after: ListPosition | None) -> tuple[int | None, int | None]:
    """(above, below): the ids a page after ``after`` can hold; only an id order bounds them."""
    if after is None or order.field is not CustomerOrderField.ID:
        return None, None
    if order.direction is SortDirection.ASC:
        return after.id, None
    return None, after.id


def filter_clauses(
    f: CustomerFilter,
    scope: CustomerScope = UNRESTRICTED,
    *,
    ids_above: int | None = None,
    ids_below: int | None = None,
) -> list[ColumnElement[bool]]:
    """The filter, limited to the customers ``scope`` may see, as WHERE clauses on ``customer``.

    ``ids_above`` / ``ids_below``: the id range the caller limits the rows to as well (a
    page's keyset), passed on to ``visible_condition``.
    """
    clauses: list[ColumnElement[bool]] = []
    visible = visible_condition(scope, ids_above=ids_above, ids_below=ids_below)
    if visible is not None:
        clauses.append(visible)
    if f.segments is not None:
        clauses.append(customer.c.segment.in_(f.segments))
    if f.statuses is not None:
        clauses.append(customer.c.status.in_(f.statuses))
    if f.branches is not None:
        clauses.append(customer.c.home_branch.in_(f.branches))
    if f.city is not None:
        clauses.append(_lives_in(f.city))
    if f.product_codes is not None:
        clauses.append(_holds(product.c.code.in_(f.product_codes)))
    if f.product_categories is not None:
        clauses.append(_holds(product.c.category.in_(f.product_categories)))
    if f.loyalty_tiers is not None:
        clauses.append(_in_tier(f.loyalty_tiers))
    if f.has_open_ticket is not None:
        open_ticket = _has_open_ticket()
        clauses.append(open_ticket if f.has_open_ticket else ~open_ticket)
    if f.consent_granted is not None:
        clauses.append(granted_now(customer.c.id, f.consent_granted))
    if f.created_from is not None:
        clauses.append(customer.c.created_at >= f.created_from)
    if f.created_before is not None:
        clauses.append(customer.c.created_at < f.created_before)
    return clauses


def _lives_in(city: str) -> ColumnElement[bool]:
    # A postal contact point's search_key is its folded city.
    return exists().where(
        contact_point.c.customer_id == customer.c.id,
        contact_point.c.kind == ContactKind.POSTAL,
        contact_point.c.search_key == fold_text(city),
    )


def _holds(product_condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        holding.c.customer_id == customer.c.id,
        holding.c.status.in_(sorted(HELD_STATUSES)),
        product.c.id == holding.c.product_id,
        product_condition,
    )


def _in_tier(tier_codes: Sequence[str]) -> ColumnElement[bool]:
    return exists().where(
        account.c.customer_id == customer.c.id,
        tier.c.id == account.c.tier_id,
        tier.c.code.in_(tier_codes),
    )


def _has_open_ticket() -> ColumnElement[bool]:
    return exists().where(
        ticket.c.customer_id == customer.c.id,
        ticket.c.status.in_(sorted(OPEN_TICKET_STATUSES)),
    )
