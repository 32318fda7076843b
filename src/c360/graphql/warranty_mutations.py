"""``registerWarranty``, ``fileWarrantyClaim``, ``decideWarrantyClaim``.

Each returns ``XSuccess | WarrantyError``: a refusal is data (a ``WarrantyErrorCode``
and the input field at fault), and nothing was written. The writes run in
``c360.warranty.service``, one transaction each, on a connection of their own. A
customer the caller may not see is answered as a missing one, and so are its policies
and claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, TypeAlias, TypeVar

import strawberry

from c360.auth.scopes import Scope
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import ClaimDecision, WarrantyKind
from c360.graphql.mutation_support import input_path, optional_pk, pk
from c360.graphql.permissions import requires
from c360.graphql.warranty import WarrantyClaim, WarrantyPolicy
from c360.validation import MAX_TEXT_LENGTH, InvalidInput
from c360.warranty import errors, service
from c360.warranty.errors import WarrantyErrorCode

__all__ = ["WarrantyMutation"]

Code = WarrantyErrorCode
T = TypeVar("T")

strawberry.enum(
    WarrantyErrorCode, description="Why a warranty write was refused. Nothing was written."
)


@strawberry.type(description="A warranty write refused. Nothing was written.")
class WarrantyError:
    code: WarrantyErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, e.g. [input, coverageEndDate]."
    )


@strawberry.type(description="The policy registered.")
class WarrantyPolicySuccess:
    policy: WarrantyPolicy


@strawberry.type(description="The claim as stored after the write.")
class WarrantyClaimSuccess:
    claim: WarrantyClaim


WarrantyPolicyResult: TypeAlias = Annotated[
    WarrantyPolicySuccess | WarrantyError, strawberry.union("WarrantyPolicyResult")
]
WarrantyClaimResult: TypeAlias = Annotated[
    WarrantyClaimSuccess | WarrantyError, strawberry.union("WarrantyClaimResult")
]

_AMOUNT_DOC = f"In the policy's currency, at most {service.MAX_AMOUNT:,} with 2 decimals."


@strawberry.input(
    description=(
        "A warranty on goods a customer bought: purchaseDate <= coverageStartDate < "
        "coverageEndDate. Give coverageEndDate (the last day covered) or coverageMonths."
    )
)
class RegisterWarrantyInput:
    customer_id: strawberry.ID
    product_model: str = strawberry.field(
        description=f"1 to {service.MAX_MODEL_LENGTH} characters."
    )
    manufacturer: str | None = strawberry.field(
        default=None, description=f"Up to {service.MAX_MANUFACTURER_LENGTH} characters."
    )
    serial_number: str = strawberry.field(
        description=f"1 to {service.MAX_SERIAL_LENGTH} characters."
    )
    purchase_date: dt.date = strawberry.field(description="Not in the future.")
    coverage_start_date: dt.date | None = strawberry.field(
        default=None, description="Defaults to purchaseDate."
    )
    coverage_end_date: dt.date | None = None
    coverage_months: int | None = strawberry.field(
        default=None, description=f"1 to {service.MAX_COVERAGE_MONTHS}."
    )
    kind: WarrantyKind
    price_paid: Decimal = strawberry.field(description=f"0 or more. {_AMOUNT_DOC}")
    coverage_value: Decimal = strawberry.field(description=f"More than 0. {_AMOUNT_DOC}")
    currency: str = strawberry.field(description="ISO 4217, e.g. PLN.")
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The catalogue entry of the goods."
    )


@strawberry.input(
    description=(
        "A claim: the policy must not be cancelled, the report must fall inside its "
        "coverage period, and no other claim on it may be undecided."
    )
)
class FileWarrantyClaimInput:
    policy_id: strawberry.ID
    defect_description: str = strawberry.field(description=f"1 to {MAX_TEXT_LENGTH} characters.")
    reported_at: dt.datetime | None = strawberry.field(
        default=None, description="Defaults to now; not in the future, not before 1970."
    )


@strawberry.input(description="The decision on an undecided claim; made once.")
class DecideWarrantyClaimInput:
    claim_id: strawberry.ID
    decision: ClaimDecision
    amount: Decimal | None = strawberry.field(
        default=None,
        description=(
            "Required for REPAIR, REPLACE and REFUND, not allowed for REJECTED; more than 0 "
            "and at most the coverage value not yet paid out on the policy."
        ),
    )


@strawberry.type
class WarrantyMutation:
    @strawberry.mutation(
        description="Register a warranty policy.", directives=requires(Scope.WARRANTY_WRITE)
    )
    async def register_warranty(
        self, info: GraphQLInfo, input: RegisterWarrantyInput
    ) -> WarrantyPolicyResult:
        async def run() -> WarrantyPolicySuccess:
            customer_id = pk("Customer", input.customer_id, "customer_id")
            if not await info.context.customer_visible(customer_id):
                raise errors.WarrantyError(
                    Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id"
                )
            row = await service.register_warranty(
                info.context.db.engine,
                customer_id=customer_id,
                product_model=input.product_model,
                serial_number=input.serial_number,
                purchase_date=input.purchase_date,
                kind=input.kind,
                price_paid=input.price_paid,
                coverage_value=input.coverage_value,
                currency=input.currency,
                manufacturer=input.manufacturer,
                coverage_start_date=input.coverage_start_date,
                coverage_end_date=input.coverage_end_date,
                coverage_months=input.coverage_months,
                product_id=optional_pk("Product", input.product_id, "product_id"),
                now=info.context.now,
            )
            return WarrantyPolicySuccess(policy=WarrantyPolicy.from_row(row))

        return await _refused_or(run)

    @strawberry.mutation(
        description="File a claim under a warranty policy.",
        directives=requires(Scope.WARRANTY_WRITE),
    )
    async def file_warranty_claim(
        self, info: GraphQLInfo, input: FileWarrantyClaimInput
    ) -> WarrantyClaimResult:
        async def run() -> WarrantyClaimSuccess:
            policy_id = pk("WarrantyPolicy", input.policy_id, "policy_id")
            owner = await info.context.loaders.warranty_policy_by_id.load(policy_id)
            if owner is None or not await info.context.customer_visible(owner.customer_id):
                raise errors.WarrantyError(
                    Code.POLICY_NOT_FOUND, "no such warranty policy", field="policy_id"
                )
            row = await service.file_warranty_claim(
                info.context.db.engine,
                policy_id=policy_id,
                defect_description=input.defect_description,
                reported_at=input.reported_at,
                now=info.context.now,
            )
            return WarrantyClaimSuccess(claim=WarrantyClaim.from_row(row))

        return await _refused_or(run)

    @strawberry.mutation(
        description="Decide a warranty claim.", directives=requires(Scope.WARRANTY_WRITE)
    )
    async def decide_warranty_claim(
        self, info: GraphQLInfo, input: DecideWarrantyClaimInput
    ) -> WarrantyClaimResult:
        async def run() -> WarrantyClaimSuccess:
            claim_id = pk("WarrantyClaim", input.claim_id, "claim_id")
            owner = await info.context.loaders.warranty_claim_by_id.load(claim_id)
            if owner is None or not await info.context.customer_visible(owner.customer_id):
                raise errors.WarrantyError(Code.CLAIM_NOT_FOUND, "no such claim", field="claim_id")
            row = await service.decide_warranty_claim(
                info.context.db.engine,
                claim_id=claim_id,
                decision=input.decision,
                amount=input.amount,
                now=info.context.now,
            )
            return WarrantyClaimSuccess(claim=WarrantyClaim.from_row(row))

        return await _refused_or(run)


async def _refused_or(run: Callable[[], Awaitable[T]]) -> T | WarrantyError:
    try:
        return await run()
    except errors.WarrantyError as error:
        return WarrantyError(code=error.code, message=error.message, field=input_path(error.field))
    except InvalidInput as error:
        return WarrantyError(
            code=Code.INVALID_INPUT, message=error.message, field=input_path(error.field)
        )
