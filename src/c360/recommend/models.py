"""Reactions to offers: what a customer said when a product was put to them.

The pipeline reads recent rows back to suppress offers (see ``c360.recommend.suppression``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from c360.customers.models import Channel
from c360.database import Base, IdType, UtcDateTime, int_pk, str_enum

__all__ = ["OfferResponse", "OfferResponseKind"]


class OfferResponseKind(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IGNORED = "ignored"


class OfferResponse(Base):
    __tablename__ = "offer_response"
    # Suppression reads one page of customers' recent responses: customer first, then time.
    # A retry with an idempotency key finds the first answer by (who recorded it, key);
    # rows without a key (NULL) never collide.
    __table_args__ = (
        Index(None, "customer_id", "responded_at"),
        Index(None, "recorded_by", "idempotency_key", unique=True),
    )

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"))
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    response: Mapped[OfferResponseKind] = mapped_column(str_enum(OfferResponseKind))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    # The model version that made the offer, when the caller knows it (for later evaluation).
    model_version: Mapped[str | None] = mapped_column(String(32))
    responded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # The principal's subject (``token:<id>``, ``jwt:<issuer>#<sub>``) and the client's key.
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
