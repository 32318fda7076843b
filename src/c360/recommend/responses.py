"""Recording a customer's reaction to an offer: one row, one transaction.

The row is what suppression reads back (``c360.recommend.suppression``): a rejection
rests the product, and every response counts towards the cap per contact.

Idempotency, as for loyalty points (``c360.loyalty.service``): ``(recorded_by,
idempotency_key)`` is unique. A retry with the same key by the same caller returns the
first response (``replayed=True``) and writes nothing; the same key with a different
customer, product, response, channel or model version is refused
(``IDEMPOTENCY_KEY_REUSED``). Another caller's key is another key. Without a key every
call records a response.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360.customers.models import Channel, Customer
from c360.holdings.models import Product
from c360.recommend.errors import OfferResponseError, OfferResponseErrorCode
from c360.recommend.models import OfferResponse, OfferResponseKind

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_MODEL_VERSION_LENGTH",
    "RecordedResponse",
    "record_offer_response",
]

MAX_MODEL_VERSION_LENGTH = 32
MAX_KEY_LENGTH = 64  # as for loyalty points
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
    replayed: bool = False  # True: the key was used before and nothing new was written


async def record_offer_response(
    engine: AsyncEngine,
    *,
    customer_id: int,
    product_code: str,
    response: OfferResponseKind,
    channel: Channel,
    now: dt.datetime,
    model_version: str | None = None,
    recorded_by: str | None = None,
    idempotency_key: str | None = None,
) -> RecordedResponse:
    """Store the response, or raise ``OfferResponseError`` having written nothing.

    With ``idempotency_key`` (and ``recorded_by``, the caller's subject) a retry returns
    the first response instead of writing another.
    """
    if model_version is not None and not 1 <= len(model_version) <= MAX_MODEL_VERSION_LENGTH:
        raise OfferResponseError(
            Code.INVALID_INPUT,
            f"modelVersion must be 1 to {MAX_MODEL_VERSION_LENGTH} characters",
            field="model_version",
        )
    if idempotency_key is not None and not (
        idempotency_key.strip() and len(idempotency_key) <= MAX_KEY_LENGTH
    ):
        raise OfferResponseError(
            Code.INVALID_INPUT,
            f"idempotencyKey must have 1 to {MAX_KEY_LENGTH} characters",
            field="idempotency_key",
        )
    request = dict(
        customer_id=customer_id,
        product_code=product_code,
        response=response,
        channel=channel,
        model_version=model_version,
    )
    try:
        async with engine.begin() as conn:
            original = await _by_key(conn, recorded_by, idempotency_key)
            if original is not None:
                return _replay(original, request)
            return await _insert(conn, request, now, recorded_by, idempotency_key)
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its row.
        async with engine.connect() as conn:
            original = await _by_key(conn, recorded_by, idempotency_key)
        if original is None:
            raise
        return _replay(original, request)


async def _insert(
    conn: AsyncConnection,
    request: dict[str, Any],
    now: dt.datetime,
    recorded_by: str | None,
    idempotency_key: str | None,
) -> RecordedResponse:
    customer_id, product_code = request["customer_id"], request["product_code"]
    exists = await conn.scalar(select(Customer.id).where(Customer.id == customer_id))
    if exists is None:
        raise OfferResponseError(Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id")
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
            response=request["response"],
            channel=request["channel"],
            model_version=request["model_version"],
            responded_at=now,
            recorded_by=recorded_by,
            idempotency_key=idempotency_key,
        )
        .returning(OfferResponse.id)
    )
    return RecordedResponse(
        id=int(response_id),  # type: ignore[arg-type]
        product_name=product.name,
        responded_at=now,
        **request,
    )


async def _by_key(
    conn: AsyncConnection, recorded_by: str | None, key: str | None
) -> Row[Any] | None:
    if key is None:
        return None
    query = (
        select(
            OfferResponse.id,
            OfferResponse.customer_id,
            Product.code.label("product_code"),
            Product.name.label("product_name"),
            OfferResponse.response,
            OfferResponse.channel,
            OfferResponse.model_version,
            OfferResponse.responded_at,
        )
        .join(Product, Product.id == OfferResponse.product_id)
        .where(OfferResponse.idempotency_key == key)
    )
    # NULL never equals NULL in SQL: a caller without a subject matches on the key alone.
    query = query.where(
        OfferResponse.recorded_by == recorded_by
        if recorded_by is not None
        else OfferResponse.recorded_by.is_(None)
    )
    return (await conn.execute(query)).one_or_none()


def _replay(original: Row[Any], request: dict[str, Any]) -> RecordedResponse:
    recorded = RecordedResponse(
        id=original.id,
        customer_id=original.customer_id,
        product_code=original.product_code,
        product_name=original.product_name,
        response=OfferResponseKind(original.response),
        channel=Channel(original.channel),
        model_version=original.model_version,
        responded_at=original.responded_at,
        replayed=True,
    )
    if any(getattr(recorded, name) != value for name, value in request.items()):
        raise OfferResponseError(
            Code.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different response",
            field="idempotency_key",
        )
    return recorded
