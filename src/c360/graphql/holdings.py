"""GraphQL types of holdings and products, and how a customer's holdings are loaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.graphql.common import Money, Node, money
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
        return cls(
            id=strawberry.ID(encode_id("Product", product_id)),
            code=row.product_code,
            name=row.product_name,
            category=row.product_category,
            description=row.product_description,
            currency=row.product_currency,
            is_active=row.product_is_active,
        )


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
        return cls(
            id=strawberry.ID(encode_id("Holding", row.id)),
            product=Product.from_prefixed(row, row.product_id),
            role=row.role,
            account_ref_masked=row.account_ref_masked,
            status=row.status,
            opened_date=row.opened_date,
            closed_date=row.closed_date,
            balance=money(row.balance, row.currency),
            credit_limit=money(row.credit_limit, row.currency),
            currency=row.currency,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


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
