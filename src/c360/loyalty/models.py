"""Loyalty: programs with tiers, one account per customer and program, and a points ledger.

The ledger is the truth. An account's ``points_balance`` is a cache of the sum of its
entries' points, and each positive entry (a lot) carries ``remaining_points``: what is
left of it after redemptions and expiries consumed lots oldest first. Invariant, per
account: ``points_balance == sum(points) == sum(remaining_points)``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from c360.database import Base, IdType, UtcDateTime, int_pk, str_enum


class LedgerEntryKind(StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSAL = "reversal"


class LoyaltyAccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class LoyaltyProgram(Base):
    __tablename__ = "loyalty_program"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Earned points expire this many months after they were earned.
    points_validity_months: Mapped[int] = mapped_column(SmallInteger)


class LoyaltyTier(Base):
    __tablename__ = "loyalty_tier"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    id: Mapped[int_pk]
    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("loyalty_program.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    rank: Mapped[int] = mapped_column(SmallInteger)  # 0 is the entry tier
    # Points earned in the last 12 months needed to qualify for the tier.
    threshold_points: Mapped[int] = mapped_column(Integer)


class LoyaltyAccount(Base):
    __tablename__ = "loyalty_account"
    __table_args__ = (UniqueConstraint("customer_id", "program_id"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    program_id: Mapped[int] = mapped_column(IdType, ForeignKey("loyalty_program.id"))
    tier_id: Mapped[int] = mapped_column(IdType, ForeignKey("loyalty_tier.id"), index=True)
    member_number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[LoyaltyAccountStatus] = mapped_column(str_enum(LoyaltyAccountStatus))
    enrolled_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    lifetime_points: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class LoyaltyLedgerEntry(Base):
    __tablename__ = "loyalty_ledger_entry"
    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key"),
        Index(None, "account_id", "occurred_at"),
    )

    id: Mapped[int_pk]
    account_id: Mapped[int] = mapped_column(IdType, ForeignKey("loyalty_account.id"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    kind: Mapped[LedgerEntryKind] = mapped_column(str_enum(LedgerEntryKind))
    points: Mapped[int] = mapped_column(Integer)  # signed: earn > 0, redeem and expire < 0
    # Set on positive entries only: the part of this lot not yet redeemed or expired.
    remaining_points: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    reverses_entry_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("loyalty_ledger_entry.id")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
