"""Consents and the partners a customer can agree to share data with.

Consent rows are never updated or deleted. The state of a consent is the newest row
for its (customer, purpose, partner); granting or revoking appends a row.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from c360.database import Base, IdType, UtcDateTime, int_pk, str_enum


class ConsentPurpose(StrEnum):
    MARKETING = "marketing"
    PROFILING = "profiling"
    PARTNER_SHARING = "partner_sharing"


class Partner(Base):
    """An external organisation a customer may share data with."""

    __tablename__ = "partner"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Consent(Base):
    __tablename__ = "consent"
    __table_args__ = (
        Index(None, "customer_id", "purpose", "partner_id", "captured_at"),
        # Row scoping for partners starts from the partner's consents.
        Index(None, "partner_id", "customer_id"),
    )

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(str_enum(ConsentPurpose))
    # Set for PARTNER_SHARING only: the partner the customer agreed (not) to share with.
    partner_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("partner.id"))
    granted: Mapped[bool] = mapped_column(Boolean)
    captured_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(40))  # web, branch, crm, mailing...
