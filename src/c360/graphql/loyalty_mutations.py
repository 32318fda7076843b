"""``earnPoints``, ``redeemPoints``, ``adjustPoints``, ``reversePointsEntry``.

Each returns ``PointsEntrySuccess | PointsEntryError``: a refusal the client can act on
is data (a ``PointsErrorCode`` and the input field at fault), never a top-level error.
The writes run in ``c360.loyalty.service``, one transaction each, on a connection of
their own: the request's shared connection is a read-only snapshot.

Nested fields of the returned account (``ledger``, ``pointsExpiringSoon``) read through
the request's snapshot, which a second mutation in the same document does not refresh;
the account's own columns and the entry come from the write transaction itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeAlias

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.auth.scopes import Scope
from c360.errors import InvalidIdError
from c360.graphql.context import GraphQLInfo
from c360.graphql.ids import decode_id_of
from c360.graphql.loyalty import LedgerEntry, LoyaltyAccount
from c360.graphql.permissions import requires
from c360.loyalty import service
from c360.loyalty.errors import LoyaltyError, LoyaltyErrorCode

__all__ = ["LoyaltyMutation"]

_Run: TypeAlias = Callable[[AsyncEngine], Awaitable[service.PointsResult]]

strawberry.enum(
    LoyaltyErrorCode,
    name="PointsErrorCode",
    description="Why a points operation was refused. Nothing was written.",
)


@strawberry.type(description="The entry booked, or on a retry with the same key the original.")
class PointsEntrySuccess:
    entry: LedgerEntry
    account: LoyaltyAccount = strawberry.field(
        description="The account as it is now (on a replay, with anything booked since)."
    )
    replayed: bool = strawberry.field(
        description="True when the idempotency key was used before: nothing new was booked."
    )


@strawberry.type(description="A refused points operation. Nothing was written.")
class PointsEntryError:
    code: LoyaltyErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, e.g. [input, points]."
    )


PointsEntryResult: TypeAlias = Annotated[
    PointsEntrySuccess | PointsEntryError, strawberry.union("PointsEntryResult")
]

_KEY_DOC = "1 to 64 characters, unique per account: a retry with it books nothing new."


@strawberry.input(description="Points earned: a new lot.")
class EarnPointsInput:
    customer_id: strawberry.ID
    points: int = strawberry.field(description="1 to 1,000,000.")
    reason: str = strawberry.field(description="1 to 200 characters.")
    idempotency_key: str = strawberry.field(description=_KEY_DOC)
    program_code: str | None = strawberry.field(
        default=None, description="Needed only when the customer is in several programs."
    )
    source_ref: str | None = strawberry.field(default=None, description="Up to 64 characters.")
    occurred_at: dt.datetime | None = strawberry.field(
        default=None, description="Defaults to now; never in the future."
    )
    expires_at: dt.datetime | None = strawberry.field(
        default=None,
        description="After occurredAt; defaults to the program's validity after occurredAt.",
    )


@strawberry.input(description="Points spent: consumed from the oldest available lots.")
class RedeemPointsInput:
    customer_id: strawberry.ID
    points: int = strawberry.field(description="1 to 1,000,000; at most the available points.")
    reason: str = strawberry.field(description="1 to 200 characters.")
    idempotency_key: str = strawberry.field(description=_KEY_DOC)
    program_code: str | None = None
    source_ref: str | None = strawberry.field(default=None, description="Up to 64 characters.")


@strawberry.input(description="A signed correction: positive books a lot, negative consumes lots.")
class AdjustPointsInput:
    customer_id: strawberry.ID
    points: int = strawberry.field(description="-1,000,000 to 1,000,000, not 0.")
    reason: str = strawberry.field(description="1 to 200 characters.")
    idempotency_key: str = strawberry.field(description=_KEY_DOC)
    program_code: str | None = None


@strawberry.input(
    description=(
        "Undo an earn (what is left of its lot) or a redemption (its points come back as a "
        "new lot). Each entry can be reversed once."
    )
)
class ReversePointsEntryInput:
    customer_id: strawberry.ID
    entry_id: strawberry.ID
    reason: str = strawberry.field(description="1 to 200 characters.")
    idempotency_key: str = strawberry.field(description=_KEY_DOC)


@strawberry.type
class LoyaltyMutation:
    @strawberry.mutation(
        directives=requires(Scope.LOYALTY_WRITE), description="Book earned points as a new lot."
    )
    async def earn_points(self, info: GraphQLInfo, input: EarnPointsInput) -> PointsEntryResult:
        async def run(engine: AsyncEngine) -> service.PointsResult:
            return await service.earn_points(
                engine,
                customer_id=_customer_pk(input.customer_id),
                points=input.points,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
                program_code=input.program_code,
                source_ref=input.source_ref,
                occurred_at=input.occurred_at,
                expires_at=input.expires_at,
                now=info.context.now,
            )

        return await _respond(info, input.customer_id, run)

    @strawberry.mutation(
        directives=requires(Scope.LOYALTY_WRITE),
        description="Spend points; never takes the available balance below 0.",
    )
    async def redeem_points(self, info: GraphQLInfo, input: RedeemPointsInput) -> PointsEntryResult:
        async def run(engine: AsyncEngine) -> service.PointsResult:
            return await service.redeem_points(
                engine,
                customer_id=_customer_pk(input.customer_id),
                points=input.points,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
                program_code=input.program_code,
                source_ref=input.source_ref,
                now=info.context.now,
            )

        return await _respond(info, input.customer_id, run)

    @strawberry.mutation(
        directives=requires(Scope.LOYALTY_WRITE), description="Correct a balance up or down."
    )
    async def adjust_points(self, info: GraphQLInfo, input: AdjustPointsInput) -> PointsEntryResult:
        async def run(engine: AsyncEngine) -> service.PointsResult:
            return await service.adjust_points(
                engine,
                customer_id=_customer_pk(input.customer_id),
                points=input.points,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
                program_code=input.program_code,
                now=info.context.now,
            )

        return await _respond(info, input.customer_id, run)

    @strawberry.mutation(
        directives=requires(Scope.LOYALTY_WRITE), description="Reverse an earn or a redemption."
    )
    async def reverse_points_entry(
        self, info: GraphQLInfo, input: ReversePointsEntryInput
    ) -> PointsEntryResult:
        async def run(engine: AsyncEngine) -> service.PointsResult:
            return await service.reverse_entry(
                engine,
                customer_id=_customer_pk(input.customer_id),
                entry_id=_entry_pk(input.entry_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
                now=info.context.now,
            )

        return await _respond(info, input.customer_id, run)


async def _respond(
    info: GraphQLInfo, customer_id: strawberry.ID, run: _Run
) -> PointsEntrySuccess | PointsEntryError:
    # The request's own connection is a read-only snapshot; writes take one of their own.
    engine: AsyncEngine = info.context.db.engine
    try:
        if not await info.context.customer_visible(_customer_pk(customer_id)):
            # A customer outside the token's rows is answered exactly as a missing one.
            raise LoyaltyError(
                LoyaltyErrorCode.CUSTOMER_NOT_FOUND,
                "no such customer",
                field="customer_id",
            )
        result = await run(engine)
    except LoyaltyError as error:
        return PointsEntryError(
            code=error.code,
            message=error.message,
            field=None if error.field is None else ["input", _camel(error.field)],
        )
    return PointsEntrySuccess(
        entry=LedgerEntry.from_row(result.entry),
        account=LoyaltyAccount.from_row(result.account),
        replayed=result.replayed,
    )


def _customer_pk(global_id: str) -> int:
    return _pk("Customer", global_id, "customer_id")


def _entry_pk(global_id: str) -> int:
    return _pk("LedgerEntry", global_id, "entry_id")


def _pk(type_name: str, global_id: str, field: str) -> int:
    try:
        return decode_id_of(type_name, global_id)
    except InvalidIdError as error:
        raise LoyaltyError(LoyaltyErrorCode.INVALID_INPUT, error.message, field=field) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
