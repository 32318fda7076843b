"""Interactions (one contact on one channel) and support tickets."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from c360.customers.models import Channel
from c360.database import Base, IdType, UtcDateTime, int_pk, str_enum


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Interaction(Base):
    __tablename__ = "interaction"
    __table_args__ = (Index(None, "customer_id", "occurred_at"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    topic: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str | None] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(String(80))
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # The holding or warranty policy the contact was about, where there is one.
    holding_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("holding.id"))
    warranty_policy_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("warranty_policy.id"))


class SupportTicket(Base):
    __tablename__ = "support_ticket"
    __table_args__ = (Index(None, "customer_id", "status"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus))
    priority: Mapped[TicketPriority] = mapped_column(str_enum(TicketPriority))
    channel: Mapped[Channel | None] = mapped_column(str_enum(Channel))
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)
    holding_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("holding.id"))
    warranty_policy_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("warranty_policy.id"))
