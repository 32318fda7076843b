"""GraphQL types of warranty policies and their claims."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.graphql.common import Money, Node, money
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import ClaimDecision, ClaimStatus, WarrantyKind, WarrantyStatus
from c360.graphql.holdings import Product
from c360.graphql.ids import encode_id
from c360.graphql.loaders import Loaders
from c360.graphql.permissions import requires

__all__ = ["WarrantyClaim", "WarrantyPolicy", "load_warranty_claim", "load_warranty_policy"]


@strawberry.type(
    directives=requires(Scope.WARRANTY_READ), description="A claim under a warranty policy."
)
class WarrantyClaim(Node):
    defect_description: str
    reported_at: dt.datetime
    status: ClaimStatus
    decision: ClaimDecision | None
    resolved_at: dt.datetime | None
    amount: Money | None = strawberry.field(description="In the policy's currency.")

    @classmethod
    def from_row(cls, row: Row[Any]) -> WarrantyClaim:
        return cls(
            id=strawberry.ID(encode_id("WarrantyClaim", row.id)),
            defect_description=row.defect_description,
            reported_at=row.reported_at,
            status=row.status,
            decision=row.decision,
            resolved_at=row.resolved_at,
            amount=money(row.amount, row.currency),
        )


@strawberry.type(
    directives=requires(Scope.WARRANTY_READ),
    description="A manufacturer or extended warranty on goods a customer bought.",
)
class WarrantyPolicy(Node):
    product: Product | None = strawberry.field(
        description="The catalogue entry of the goods, where the catalogue lists them."
    )
    product_model: str
    manufacturer: str | None
    serial_number: str
    purchase_date: dt.date
    coverage_start_date: dt.date
    coverage_end_date: dt.date
    kind: WarrantyKind
    price_paid: Money
    coverage_value: Money
    status: WarrantyStatus
    created_at: dt.datetime
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row[Any]) -> WarrantyPolicy:
        product_id = row.product_id
        return cls(
            id=strawberry.ID(encode_id("WarrantyPolicy", row.id)),
            product=None if product_id is None else Product.from_prefixed(row, product_id),
            product_model=row.product_model,
            manufacturer=row.manufacturer,
            serial_number=row.serial_number,
            purchase_date=row.purchase_date,
            coverage_start_date=row.coverage_start_date,
            coverage_end_date=row.coverage_end_date,
            kind=row.kind,
            price_paid=Money(amount=row.price_paid, currency=row.currency),
            coverage_value=Money(amount=row.coverage_value, currency=row.currency),
            status=row.status,
            created_at=row.created_at,
            _pk=row.id,
        )

    @strawberry.field(description="Claims under this policy, the latest reported first.")
    async def claims(self, info: GraphQLInfo) -> list[WarrantyClaim] | None:
        rows = await info.context.loaders.warranty_claims_by_policy_id.load(self._pk)
        return [WarrantyClaim.from_row(row) for row in rows]


async def load_warranty_policy(loaders: Loaders, pk: int) -> WarrantyPolicy | None:
    row = await loaders.warranty_policy_by_id.load(pk)
    return None if row is None else WarrantyPolicy.from_row(row)


async def load_warranty_claim(loaders: Loaders, pk: int) -> WarrantyClaim | None:
    row = await loaders.warranty_claim_by_id.load(pk)
    return None if row is None else WarrantyClaim.from_row(row)
