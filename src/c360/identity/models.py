"""Source records: the raw rows each source system sent, linked to a golden customer."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from c360.customers.models import JsonType
from c360.database import Base, IdType, UtcDateTime, int_pk


class SourceSystem(StrEnum):
    CORE_BANKING = "core_banking"
    CRM = "crm"
    ECOMMERCE = "ecommerce"
    MAILING = "mailing"


class SourceRecord(Base):
    __tablename__ = "source_record"
    __table_args__ = (UniqueConstraint("source_system", "source_key"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    source_system: Mapped[str] = mapped_column(String(32))
    source_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
