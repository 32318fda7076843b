"""Recording a customer's reaction to an offer: one row, one transaction.

The row is what suppression reads back (``c360.recommend.suppression``): a rejection
rests the product, and every response counts towards the cap per contact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.customers.models import Channel, Customer
from c360.holdings.models import Product
from c360.recommend.errors import OfferResponseError, OfferResponseErrorCode
from c360.recommend.models import OfferResponse, OfferResponseKind

__all__ = ["MAX_MODEL_VERSION_LENGTH", "RecordedResponse", "record_offer_response"]

MAX_MODEL_VERSION_LENGTH = 32
Code = OfferResponseErrorCode


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    id: int
    customer_id: int
    product_code: str
    product_name: str
    response: OfferResponseKind
    channel: Channel
    model_version: str | None
    responded_at: dt.datetime


async def record_offer_response(
    engine: AsyncEngine,
    *,
    customer_id: int,
    product_code: str,
    response: OfferResponseKind,
    channel: Channel,
    now: dt.datetime,
    model_version: str | None = None,
) -> RecordedResponse:
    """Store the response, or raise ``OfferResponseError`` having written nothing."""
    if model_version is not None and not 1 <= len(model_version) <= MAX_MODEL_VERSION_LENGTH:
        raise OfferResponseError(
            Code.INVALID_INPUT,
            f"modelVersion must be 1 to {MAX_MODEL_VERSION_LENGTH} characters",
            field="model_version",
        )
    async with engine.begin() as conn:
        exists = await conn.scalar(select(Customer.id).where(Customer.id == customer_id))
        if exists is None:
            raise OfferResponseError(
                Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id"
            )
        product = (
            await conn.execute(
                select(Product.id, Product.name).where(
                    Product.code == product_code, Product.is_active.is_(True)
                )
            )
        ).first()
        if product is None:
            raise OfferResponseError(
                Code.PRODUCT_NOT_FOUND,
                f"no product with the code {product_code!r} is on offer",
                field="product_code",
            )
        response_id = await conn.scalar(
            insert(OfferResponse)
            .values(
                customer_id=customer_id,
                product_id=product.id,
                response=response,
                channel=channel,
                model_version=model_version,
                responded_at=now,
            )
            .returning(OfferResponse.id)
        )
    return RecordedResponse(
        id=int(response_id),  # type: ignore[arg-type]
        customer_id=customer_id,
        product_code=product_code,
        product_name=product.name,
        response=response,
        channel=channel,
        model_version=model_version,
        responded_at=now,
    )
