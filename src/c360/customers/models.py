"""The customer (a party: a person or an organisation) and what hangs directly off it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from c360.database import Base, IdType, UtcDateTime, int_pk, str_enum

JsonType = JSON().with_variant(JSONB(), "postgresql")


class PartyType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    CLOSED = "closed"


class Segment(StrEnum):
    MASS = "mass"
    AFFLUENT = "affluent"
    PRIVATE = "private"
    SMALL_BUSINESS = "small_business"
    CORPORATE = "corporate"


class Education(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    VOCATIONAL = "vocational"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"


class IncomeBand(StrEnum):
    LOW = "low"
    LOWER_MIDDLE = "lower_middle"
    MIDDLE = "middle"
    UPPER_MIDDLE = "upper_middle"
    HIGH = "high"


class Channel(StrEnum):
    """Where the bank meets the customer; used for preferences and for interactions."""

    BRANCH = "branch"
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    WEB = "web"
    MOBILE = "mobile"


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    POSTAL = "postal"


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (Index(None, "segment"), Index(None, "home_branch"), Index(None, "created_at"))

    id: Mapped[int_pk]
    party_type: Mapped[PartyType] = mapped_column(str_enum(PartyType))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    # Written with the names: what a screen shows, and its case- and accent-free form
    # that name search matches against.
    display_name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    # The national or tax id is never stored in clear: a keyed hash finds it, the
    # last four characters let a person recognise it.
    national_id_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    national_id_last4: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[CustomerStatus] = mapped_column(str_enum(CustomerStatus))
    segment: Mapped[Segment] = mapped_column(str_enum(Segment))
    home_branch: Mapped[str | None] = mapped_column(String(16))
    customer_since_date: Mapped[dt.date] = mapped_column(Date)
    education: Mapped[Education | None] = mapped_column(str_enum(Education))
    income_band: Mapped[IncomeBand | None] = mapped_column(str_enum(IncomeBand))
    occupation: Mapped[str | None] = mapped_column(String(120))
    household_size: Mapped[int | None] = mapped_column(SmallInteger)
    interests: Mapped[list[str]] = mapped_column(JsonType, default=list)
    preferred_channel: Mapped[Channel | None] = mapped_column(str_enum(Channel))
    preferred_language: Mapped[str | None] = mapped_column(String(16))
    country_code: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    # Optimistic concurrency: a writer sends the version it read.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ContactPoint(Base):
    __tablename__ = "contact_point"

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    label: Mapped[str | None] = mapped_column(String(32))  # home, work, mobile...
    # The address as shown: an email, an E.164 phone number, or a one-line postal address.
    value: Mapped[str] = mapped_column(String(320))
    # What lookups match against: the lower-cased email, the phone's E.164 digits
    # reversed (so "ends with these digits" is an indexable prefix match), or the
    # case- and accent-free city of a postal address.
    search_key: Mapped[str | None] = mapped_column(String(320), index=True)
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    valid_from: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    valid_to: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Attachment(Base):
    """Metadata of a file kept about a customer; the bytes live in object storage."""

    __tablename__ = "attachment"

    id: Mapped[int_pk]
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    checksum_sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


__all__ = [
    "Attachment",
    "Channel",
    "ContactKind",
    "ContactPoint",
    "Customer",
    "CustomerStatus",
    "Education",
    "IncomeBand",
    "JsonType",
    "PartyType",
    "Segment",
]
