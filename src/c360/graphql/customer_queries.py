"""``customer``, the marketer's ``customers`` list and the teller's ``searchCustomers``."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.customers import listing
from c360.customers.search import count_matches, find_customers, plan_search
from c360.errors import InvalidArgumentError, InvalidCursorError
from c360.graphql.context import GraphQLInfo
from c360.graphql.customers import Customer, load_customer
from c360.graphql.enums import (
    ConsentPurpose,
    CustomerOrderField,
    CustomerStatus,
    ProductCategory,
    SearchMatch,
    Segment,
    SortDirection,
)
from c360.graphql.ids import decode_id_of
from c360.graphql.pagination import (
    Connection,
    PageInfo,
    build_connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from c360.graphql.permissions import requires

__all__ = ["CustomerQuery"]

_LIST_CURSOR = "customers"
_SEARCH_CURSOR = "search"


@strawberry.input(
    description="A time range: `from` inclusive, `to` exclusive; both need a UTC offset."
)
class DateTimeRange:
    from_: dt.datetime | None = strawberry.field(default=None, name="from")
    to: dt.datetime | None = None


@strawberry.input(
    description=(
        "Customers matching every given criterion. A list matches any of its values; an "
        "empty list matches nothing."
    )
)
class CustomerFilter:
    segment: list[Segment] | None = None
    status: list[CustomerStatus] | None = None
    branch: list[str] | None = strawberry.field(default=None, description="Home branch codes.")
    city: str | None = strawberry.field(
        default=None, description="A postal address in this city (case- and accent-insensitive)."
    )
    holds_product: list[str] | None = strawberry.field(
        default=None,
        description="Holds (active, dormant or in arrears) one of these product codes.",
    )
    holds_category: list[ProductCategory] | None = strawberry.field(
        default=None, description="Holds a product of one of these categories."
    )
    loyalty_tier: list[str] | None = strawberry.field(
        default=None, description="A loyalty account in one of these tier codes."
    )
    has_open_ticket: bool | None = strawberry.field(
        default=None, description="Has (true) or has not (false) an OPEN or PENDING ticket."
    )
    has_consent_for: ConsentPurpose | None = strawberry.field(
        default=None, description="The consent in force for this purpose is granted."
    )
    created_at: DateTimeRange | None = None


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.ID
    direction: SortDirection = SortDirection.ASC


@strawberry.type
class CustomerSearchEdge:
    cursor: str
    node: Customer
    matched_on: SearchMatch = strawberry.field(description="The lookup that ranked best.")


@strawberry.type(description="Search results, best match first.")
class CustomerSearchConnection:
    edges: list[CustomerSearchEdge]
    page_info: PageInfo
    _count: strawberry.Private[Any]

    @strawberry.field(description="How many customers match (counted only when asked).")
    async def total_count(self) -> int:
        return int(await self._count())


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        directives=requires(Scope.CUSTOMER_READ),
        description="The customer with this id; null when there is none.",
    )
    async def customer(self, info: GraphQLInfo, id: strawberry.ID) -> Customer | None:
        return await load_customer(info.context.loaders, decode_id_of("Customer", id))

    @strawberry.field(
        directives=requires(Scope.CUSTOMER_READ),
        description="Customers matching `filter`, in `orderBy` order (by id by default).",
    )
    async def customers(
        self,
        info: GraphQLInfo,
        first: int | None = 20,
        after: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer]:
        limit = page_size(first)
        order = listing.CustomerOrder(
            field=order_by.field if order_by else listing.CustomerOrderField.ID,
            direction=order_by.direction if order_by else listing.SortDirection.ASC,
        )
        position = None if after is None else _decode_list_cursor(after, order)
        criteria = _criteria(filter)
        db = info.context.db
        async with db.connect() as conn:
            rows = await listing.list_customers(
                conn,
                filter=criteria,
                order=order,
                limit=limit + 1,
                after=position,
                scope=info.context.customer_scope,
            )

        async def count() -> int:
            async with db.connect() as conn:
                return await listing.count_customers(
                    conn, filter=criteria, scope=info.context.customer_scope
                )

        info.context.loaders.read_customer_ids.update(row.id for row in rows[:limit])
        return build_connection(
            rows,
            limit=limit,
            node=lambda row: Customer.from_row(row, pii=info.context.shows_pii),
            cursor=lambda row: _list_cursor(row, order),
            after=after,
            count=count,
        )

    @strawberry.field(
        directives=requires(Scope.CUSTOMER_PII),
        description=(
            "Find customers by name (case- and accent-insensitive, any part), email, phone "
            "number in any format, the last four digits of an account, or national id."
        ),
    )
    async def search_customers(
        self, info: GraphQLInfo, query: str, first: int | None = 20, after: str | None = None
    ) -> CustomerSearchConnection:
        limit = page_size(first)
        tag = hashlib.blake2s(query.encode(), digest_size=6).hexdigest()
        offset = 0 if after is None else _decode_search_cursor(after, tag) + 1
        context = info.context
        plan = plan_search(query, secret_key=context.secret_key)
        async with context.db.connect() as conn:
            hits = await find_customers(
                conn, plan, limit=limit + 1, offset=offset, scope=context.customer_scope
            )

        async def count() -> int:
            async with context.db.connect() as conn:
                return await count_matches(conn, plan, scope=context.customer_scope)

        context.loaders.read_customer_ids.update(hit.customer.id for hit in hits[:limit])
        edges = [
            CustomerSearchEdge(
                cursor=encode_cursor(_SEARCH_CURSOR, tag, offset + index),
                node=Customer.from_row(hit.customer, pii=context.shows_pii),
                matched_on=hit.matched_on,
            )
            for index, hit in enumerate(hits[:limit])
        ]
        return CustomerSearchConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(hits) > limit,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _count=count,
        )


def _criteria(given: CustomerFilter | None) -> listing.CustomerFilter:
    if given is None:
        return listing.CustomerFilter()
    created = given.created_at or DateTimeRange()
    return listing.CustomerFilter(
        segments=given.segment,
        statuses=given.status,
        branches=given.branch,
        city=given.city,
        product_codes=given.holds_product,
        product_categories=given.holds_category,
        loyalty_tiers=given.loyalty_tier,
        has_open_ticket=given.has_open_ticket,
        consent_granted=given.has_consent_for,
        created_from=_aware("createdAt.from", created.from_),
        created_before=_aware("createdAt.to", created.to),
    )


def _aware(name: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidArgumentError(f"{name} needs a UTC offset, e.g. 2026-01-31T00:00:00Z")
    return value


# A list cursor remembers the order it was made for and the last row's sort key and id.


def _list_cursor(row: Row[Any], order: listing.CustomerOrder) -> str:
    value = listing.sort_value(row, order.field)
    if isinstance(value, dt.date):  # dates and datetimes
        value = value.isoformat()
    return encode_cursor(_LIST_CURSOR, order.field.value, order.direction.value, value, row.id)


def _decode_list_cursor(cursor: str, order: listing.CustomerOrder) -> listing.ListPosition:
    field, direction, value, row_id = decode_cursor(_LIST_CURSOR, cursor, 4)
    if field != order.field.value or direction != order.direction.value:
        raise InvalidCursorError("this cursor belongs to another orderBy")
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id < 2**63:
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}")
    try:
        sort_value = _parse_sort_value(order.field, value)
    except (TypeError, ValueError):
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}") from None
    return listing.ListPosition(sort_value=sort_value, id=row_id)


def _parse_sort_value(field: listing.CustomerOrderField, value: Any) -> Any:
    match field:
        case listing.CustomerOrderField.CREATED_AT:
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("naive")
            return parsed
        case listing.CustomerOrderField.CUSTOMER_SINCE:
            return dt.date.fromisoformat(value)
        case listing.CustomerOrderField.DISPLAY_NAME:
            if not isinstance(value, str):
                raise TypeError("not a name")
            return value
        case listing.CustomerOrderField.ID:
            return value


def _decode_search_cursor(cursor: str, tag: str) -> int:
    cursor_tag, offset = decode_cursor(_SEARCH_CURSOR, cursor, 2)
    if cursor_tag != tag:
        raise InvalidCursorError("this cursor belongs to another search query")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < 10_000:
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}")
    return offset
