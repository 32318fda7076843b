"""Warranty policies (manufacturer or extended) and claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from c360.database import Base, IdType, Money, UtcDateTime, int_pk, str_enum


class WarrantyKind(StrEnum):
    MANUFACTURER = "manufacturer"
    EXTENDED = "extended"


class WarrantyStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    DECIDED = "decided"


class ClaimDecision(StrEnum):
    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"
    REJECTED = "rejected"


class WarrantyPolicy(Base):
    __tablename__ = "warranty_policy"

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    # The catalogue entry of the goods bought, where the retailer sells them.
    product_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("product.id"))
    product_model: Mapped[str] = mapped_column(String(120))
    manufacturer: Mapped[str | None] = mapped_column(String(80))
    serial_number: Mapped[str] = mapped_column(String(64))
    purchase_date: Mapped[dt.date] = mapped_column(Date)
    coverage_start_date: Mapped[dt.date] = mapped_column(Date)
    coverage_end_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[WarrantyKind] = mapped_column(str_enum(WarrantyKind))
    price_paid: Mapped[Decimal] = mapped_column(Money())
    coverage_value: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[WarrantyStatus] = mapped_column(str_enum(WarrantyStatus))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class WarrantyClaim(Base):
    __tablename__ = "warranty_claim"

    id: Mapped[int_pk]
    policy_id: Mapped[int] = mapped_column(IdType, ForeignKey("warranty_policy.id"), index=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    defect_description: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus))
    decision: Mapped[ClaimDecision | None] = mapped_column(str_enum(ClaimDecision))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    amount: Mapped[Decimal | None] = mapped_column(Money())
