"""Product catalogue and holdings (accounts, cards, loans, mortgages, policies...)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from c360.database import Base, IdType, Money, UtcDateTime, int_pk, str_enum


class ProductCategory(StrEnum):
    DEPOSIT = "deposit"
    LENDING = "lending"
    CARD = "card"
    INSURANCE = "insurance"
    INVESTMENT = "investment"
    RETAIL_GOODS = "retail_goods"


class HoldingRole(StrEnum):
    OWNER = "owner"
    JOINT = "joint"
    GUARANTOR = "guarantor"


class HoldingStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DORMANT = "dormant"
    IN_ARREARS = "in_arrears"
    CLOSED = "closed"


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int_pk]
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[ProductCategory] = mapped_column(str_enum(ProductCategory))
    description: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    # What the bank expects to earn from one holding in a year, where known.
    expected_annual_value: Mapped[Decimal | None] = mapped_column(Money())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Holding(Base):
    __tablename__ = "holding"
    __table_args__ = (Index(None, "customer_id", "status"),)

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("product.id"), index=True)
    role: Mapped[HoldingRole] = mapped_column(str_enum(HoldingRole))
    # Only a masked reference is kept here ("**** 1234"); the last digits make it searchable.
    account_ref_masked: Mapped[str] = mapped_column(String(40))
    account_ref_last4: Mapped[str] = mapped_column(String(4), index=True)
    status: Mapped[HoldingStatus] = mapped_column(str_enum(HoldingStatus))
    opened_date: Mapped[dt.date] = mapped_column(Date)
    closed_date: Mapped[dt.date | None] = mapped_column(Date)
    balance: Mapped[Decimal | None] = mapped_column(Money())
    credit_limit: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
