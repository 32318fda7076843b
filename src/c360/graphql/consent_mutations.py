"""``grantConsent``, ``revokeConsent``.

Each returns ``ConsentSuccess | ConsentError``. A decision already in force records
nothing (``recorded: false``) and returns the row in force, so a retry is harmless.
``consents`` in the answer is the customer's current state read in the same
transaction, after the write. The writes run in ``c360.consent.service``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeAlias, TypeVar

import strawberry

from c360.auth.scopes import Scope
from c360.consent import errors, service
from c360.consent.errors import ConsentErrorCode
from c360.graphql.consent import Consent
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import ConsentPurpose
from c360.graphql.mutation_support import input_path, pk
from c360.graphql.permissions import requires
from c360.validation import InvalidInput

__all__ = ["ConsentMutation"]

Code = ConsentErrorCode
T = TypeVar("T")

strawberry.enum(
    ConsentErrorCode, description="Why a consent write was refused. Nothing was written."
)


@strawberry.type(description="A consent write refused. Nothing was written.")
class ConsentError:
    code: ConsentErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, e.g. [input, partnerCode]."
    )


@strawberry.type(description="The decision in force after the write.")
class ConsentSuccess:
    consent: Consent = strawberry.field(
        description="The row in force: the one appended, or the one already saying the same."
    )
    recorded: bool = strawberry.field(
        description="False when the decision was in force already: nothing was appended."
    )
    consents: list[Consent] = strawberry.field(
        description="All of the customer's current consents, this one included."
    )


ConsentResult: TypeAlias = Annotated[
    ConsentSuccess | ConsentError, strawberry.union("ConsentResult")
]

_PARTNER_DOC = "Required for PARTNER_SHARING, not allowed for any other purpose."
_SOURCE_DOC = (
    f"Where it was captured (web, branch, crm...), 1 to {service.MAX_SOURCE_LENGTH} characters."
)


@strawberry.input(description="The customer agrees to a purpose.")
class GrantConsentInput:
    customer_id: strawberry.ID
    purpose: ConsentPurpose
    source: str = strawberry.field(description=_SOURCE_DOC)
    partner_code: str | None = strawberry.field(default=None, description=_PARTNER_DOC)


@strawberry.input(description="The customer withdraws (or refuses) a purpose.")
class RevokeConsentInput:
    customer_id: strawberry.ID
    purpose: ConsentPurpose
    source: str = strawberry.field(description=_SOURCE_DOC)
    partner_code: str | None = strawberry.field(default=None, description=_PARTNER_DOC)


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        description="Record a consent; granting what is granted records nothing.",
        directives=requires(Scope.CONSENTS_WRITE),
    )
    async def grant_consent(self, info: GraphQLInfo, input: GrantConsentInput) -> ConsentResult:
        async def run() -> ConsentSuccess:
            change = await service.grant_consent(
                info.context.db.engine,
                customer_id=await _visible_customer(info, input.customer_id),
                purpose=input.purpose,
                source=input.source,
                partner_code=input.partner_code,
                now=info.context.now,
            )
            return _success(change)

        return await _refused_or(run)

    @strawberry.mutation(
        description="Record a withdrawal; revoking what is revoked records nothing.",
        directives=requires(Scope.CONSENTS_WRITE),
    )
    async def revoke_consent(self, info: GraphQLInfo, input: RevokeConsentInput) -> ConsentResult:
        async def run() -> ConsentSuccess:
            change = await service.revoke_consent(
                info.context.db.engine,
                customer_id=await _visible_customer(info, input.customer_id),
                purpose=input.purpose,
                source=input.source,
                partner_code=input.partner_code,
                now=info.context.now,
            )
            return _success(change)

        return await _refused_or(run)


def _success(change: service.ConsentChange) -> ConsentSuccess:
    return ConsentSuccess(
        consent=Consent.from_row(change.consent),
        recorded=change.recorded,
        consents=[Consent.from_row(row) for row in change.current],
    )


async def _visible_customer(info: GraphQLInfo, global_id: str) -> int:
    customer_id = pk("Customer", global_id, "customer_id")
    if not await info.context.customer_visible(customer_id):
        raise errors.ConsentError(Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id")
    return customer_id


async def _refused_or(run: Callable[[], Awaitable[T]]) -> T | ConsentError:
    try:
        return await run()
    except errors.ConsentError as error:
        return ConsentError(code=error.code, message=error.message, field=input_path(error.field))
    except InvalidInput as error:
        return ConsentError(
            code=Code.INVALID_INPUT, message=error.message, field=input_path(error.field)
        )
