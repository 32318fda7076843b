"""``Customer.nextBestProducts``: what to offer a customer next, and why."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from c360.auth.scopes import Scope
from c360.customers.models import Channel
from c360.errors import InvalidArgumentError
from c360.graphql.loaders import Loaders
from c360.graphql.permissions import requires
from c360.recommend.service import Offer

__all__ = ["MAX_OFFERS", "ProductOffer", "offers_of"]

# A teller or a web page shows a handful of offers; more would be noise.
MAX_OFFERS = 10


@strawberry.type(
    directives=requires(Scope.RECOMMENDATIONS_READ),
    description="A product to offer a customer, with the model's reasons.",
)
class ProductOffer:
    product_code: str
    product_name: str
    score: float = strawberry.field(
        description="The chance that the customer takes the product up within the model's window."
    )
    expected_value: Decimal = strawberry.field(
        description="score x the product's expected annual value (catalogue currency). "
        "Offers are ranked by it only among those at least half as likely as the "
        "customer's most likely offer; the rest follow by score."
    )
    reasons: list[str] = strawberry.field(description="Why, in words a teller can read.")
    model_version: str | None = strawberry.field(
        description="The model artefact in force; without profiling consent or history the "
        "offer comes from segment popularity, and the reasons say so."
    )

    @classmethod
    def from_offer(cls, offer: Offer) -> ProductOffer:
        return cls(
            product_code=offer.product_code,
            product_name=offer.product_name,
            score=offer.score,
            expected_value=offer.expected_value,
            reasons=list(offer.reasons),
            model_version=offer.model_version,
        )


async def offers_of(
    loaders: Loaders, customer_id: int, first: int, channel: Channel | None = None
) -> list[ProductOffer]:
    if not 1 <= first <= MAX_OFFERS:
        raise InvalidArgumentError(f"first must be between 1 and {MAX_OFFERS}, got {first}")
    offers = await loaders.offers_by_customer_id.load((customer_id, (first, channel)))
    return [ProductOffer.from_offer(offer) for offer in offers]
