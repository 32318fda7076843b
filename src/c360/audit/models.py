"""One row per customer per request that read the customer's data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from c360.database import Base, IdType, UtcDateTime, int_pk

__all__ = ["AccessLogEntry"]


class AccessLogEntry(Base):
    """A read of one customer's data. Append-only: nothing updates or deletes these rows.

    No foreign key to ``customer``: the trail of who looked at a customer must outlive
    the customer record (and must never block erasing it).
    """

    __tablename__ = "access_log"
    __table_args__ = (Index(None, "customer_id", "id"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType)
    accessed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # token:<id> or jwt:<issuer>#<sub>: never the token itself.
    subject: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    partner_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("partner.id"))
    # The field groups the operation selected, e.g. "customer holdings loyalty".
    field_groups: Mapped[str] = mapped_column(String(200))
    operation_name: Mapped[str | None] = mapped_column(String(100))
    # sha256 of the query text: which query, without storing the query (or its literals).
    operation_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str] = mapped_column(String(32))
