"""``recordOfferResponse``: what a customer said to an offer, kept for suppression.

Returns ``OfferResponseSuccess | OfferResponseError``: a refusal the client can act on
(an unknown customer or product code, a reused idempotency key) is data with a code and
the input field at fault. An ``idempotencyKey`` makes a retry safe, as for loyalty
points: the same key from the same caller returns the first response (``replayed``).
The write runs in ``c360.recommend.responses``, one transaction on a connection of its
own, never on the request's read connection.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeAlias

import strawberry

from c360.auth.scopes import Scope
from c360.errors import InvalidIdError
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import Channel
from c360.graphql.ids import decode_id_of, encode_id
from c360.graphql.permissions import requires
from c360.recommend import responses
from c360.recommend.errors import OfferResponseError as DomainError
from c360.recommend.errors import OfferResponseErrorCode
from c360.recommend.models import OfferResponseKind

__all__ = ["RecommendMutation"]

strawberry.enum(
    OfferResponseErrorCode,
    name="OfferResponseErrorCode",
    description="Why a response was not recorded. Nothing was written.",
)
strawberry.enum(
    OfferResponseKind,
    name="OfferResponseKind",
    description="ACCEPTED: took the offer up or agreed to; REJECTED: said no (the product "
    "is not offered again for a while); IGNORED: shown, no answer.",
)


@strawberry.input(description="A customer's reaction to an offered product.")
class RecordOfferResponseInput:
    customer_id: strawberry.ID
    product_code: str = strawberry.field(description="The offer's productCode.")
    response: OfferResponseKind
    channel: Channel = strawberry.field(description="Where the offer was made.")
    model_version: str | None = strawberry.field(
        default=None, description="The offer's modelVersion, when it came from a model."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1 to 64 characters, unique per caller: a retry with it returns the first "
        "response and writes nothing; reusing it for a different response is refused "
        "(IDEMPOTENCY_KEY_REUSED).",
    )


@strawberry.type(description="A recorded response.")
class OfferResponse:
    id: strawberry.ID
    customer_id: strawberry.ID
    product_code: str
    product_name: str
    response: OfferResponseKind
    channel: Channel
    model_version: str | None
    responded_at: dt.datetime

    @classmethod
    def from_recorded(cls, recorded: responses.RecordedResponse) -> OfferResponse:
        return cls(
            id=strawberry.ID(encode_id("OfferResponse", recorded.id)),
            customer_id=strawberry.ID(encode_id("Customer", recorded.customer_id)),
            product_code=recorded.product_code,
            product_name=recorded.product_name,
            response=recorded.response,
            channel=recorded.channel,
            model_version=recorded.model_version,
            responded_at=recorded.responded_at,
        )


@strawberry.type(description="The response recorded, or on a retry with the same key the first.")
class OfferResponseSuccess:
    offer_response: OfferResponse
    replayed: bool = strawberry.field(
        description="True when the idempotency key was used before: nothing new was written."
    )


@strawberry.type(description="The response was not recorded. Nothing was written.")
class OfferResponseError:
    code: OfferResponseErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, e.g. [input, productCode]."
    )


RecordOfferResponseResult: TypeAlias = Annotated[
    OfferResponseSuccess | OfferResponseError, strawberry.union("RecordOfferResponseResult")
]


@strawberry.type
class RecommendMutation:
    @strawberry.mutation(
        description="Record a customer's response to an offer. A rejection keeps the product "
        "out of nextBestProducts for a while, and every response counts towards the cap on "
        "offers per channel.",
        directives=requires(Scope.RECOMMENDATIONS_WRITE),
    )
    async def record_offer_response(
        self, info: GraphQLInfo, input: RecordOfferResponseInput
    ) -> RecordOfferResponseResult:
        try:
            customer_id = _customer_pk(input.customer_id)
            if not await info.context.customer_visible(customer_id):
                raise DomainError(
                    OfferResponseErrorCode.CUSTOMER_NOT_FOUND,
                    "no such customer",
                    field="customer_id",
                )
            recorded = await responses.record_offer_response(
                info.context.db.engine,
                customer_id=customer_id,
                product_code=input.product_code,
                response=input.response,
                channel=input.channel,
                model_version=input.model_version,
                now=info.context.now,
                recorded_by=_subject(info),
                idempotency_key=input.idempotency_key,
            )
        except DomainError as error:
            return OfferResponseError(
                code=error.code,
                message=error.message,
                field=None if error.field is None else ["input", _camel(error.field)],
            )
        return OfferResponseSuccess(
            offer_response=OfferResponse.from_recorded(recorded), replayed=recorded.replayed
        )


def _subject(info: GraphQLInfo) -> str | None:
    principal = info.context.principal
    return None if principal is None else principal.subject


def _customer_pk(global_id: str) -> int:
    try:
        return decode_id_of("Customer", global_id)
    except InvalidIdError as error:
        raise DomainError(
            OfferResponseErrorCode.INVALID_INPUT, error.message, field="customer_id"
        ) from None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
