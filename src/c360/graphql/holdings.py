"""GraphQL types of holdings and products, and how a customer's holdings are loaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.graphql.common import Money, Node, money, row_column, row_global_id
from c360.graphql.enums import HoldingRole, HoldingStatus, ProductCategory
from c360.graphql.ids import encode_id
from c360.graphql.loaders import Loaders
from c360.graphql.permissions import requires

__all__ = ["Holding", "Product", "holdings_of", "load_holding", "load_product"]


@strawberry.type(description="A product of the catalogue: an account, card, loan, policy or goods.")
class Product(Node):
    code: str
    name: str
    category: ProductCategory
    description: str | None
    currency: str | None
    is_active: bool

    @classmethod
    def from_row(cls, row: Row[Any]) -> Product:
        return cls(
            id=strawberry.ID(encode_id("Product", row.id)),
            code=row.code,
            name=row.name,
            category=row.category,
            description=row.description,
            currency=row.currency,
            is_active=row.is_active,
        )

    @classmethod
    def from_prefixed(cls, row: Row[Any], product_id: int) -> Product:
        """From the ``product_*`` columns that holding and policy rows carry."""
        return _PrefixedProduct(row, product_id)


class _PrefixedProduct(Product):
    """A ``Product`` read from a holding's or policy's ``product_*`` columns when a field
    asks (a page of customers carries hundreds, and a query reads a field or two)."""

    def __init__(self, row: Row[Any], product_id: int) -> None:  # no dataclass init
        self._row = row
        self._product_id = product_id

    id = row_global_id("Product", "_product_id")
    code = row_column("product_code")
    name = row_column("product_name")
    category = row_column("product_category")
    description = row_column("product_description")
    currency = row_column("product_currency")
    is_active = row_column("product_is_active")


@strawberry.type(
    directives=requires(Scope.HOLDINGS_READ),
    description="A product a customer holds: an account, a card, a loan...",
)
class Holding(Node):
    product: Product
    role: HoldingRole
    account_ref_masked: str = strawberry.field(
        description="The account reference with all but its last digits masked."
    )
    status: HoldingStatus
    opened_date: dt.date
    closed_date: dt.date | None
    balance: Money | None = strawberry.field(
        description="Signed from the customer's side: money owed is negative."
    )
    credit_limit: Money | None
    currency: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> Holding:
        return _HoldingRow(row)


class _HoldingRow(Holding):
    """A ``Holding`` that reads its row when a field asks: a web page of 50 customers
    carries some 440 holdings, and building each in full (ids, product, money) cost a
    fifth of the request for the four fields the page shows."""

    def __init__(self, row: Row[Any]) -> None:  # no dataclass init: nothing is copied
        self._row = row

    id = row_global_id("Holding")
    product = property(lambda self: _PrefixedProduct(self._row, self._row.product_id))
    role = row_column("role")
    account_ref_masked = row_column("account_ref_masked")
    status = row_column("status")
    opened_date = row_column("opened_date")
    closed_date = row_column("closed_date")
    balance = property(lambda self: money(self._row.balance, self._row.currency))
    credit_limit = property(lambda self: money(self._row.credit_limit, self._row.currency))
    currency = row_column("currency")
    created_at = row_column("created_at")
    updated_at = row_column("updated_at")


async def holdings_of(
    loaders: Loaders, customer_id: int, status: list[HoldingStatus] | None
) -> list[Holding]:
    statuses = None if status is None else frozenset(status)
    rows = await loaders.holdings_by_customer_id.load((customer_id, statuses))
    return [Holding.from_row(row) for row in rows]


async def load_holding(loaders: Loaders, pk: int) -> Holding | None:
    row = await loaders.holding_by_id.load(pk)
    return None if row is None else Holding.from_row(row)


async def load_product(loaders: Loaders, pk: int) -> Product | None:
    row = await loaders.product_by_id.load(pk)
    return None if row is None else Product.from_row(row)
