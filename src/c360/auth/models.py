"""Opaque API tokens. Only a keyed hash of each token is stored, never the token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from c360.auth.scopes import Role
from c360.database import Base, IdType, UtcDateTime, int_pk, str_enum

__all__ = ["ApiToken"]


class ApiToken(Base):
    """A bearer token issued with ``c360 token create``.

    ``token_hash`` is HMAC-SHA256 of the token keyed with ``C360_SECRET_KEY`` (hex):
    a stolen table (or backup) yields no usable token, and a verification is one
    lookup on the unique index. ``scopes`` is the granted set, space-separated.
    """

    __tablename__ = "api_token"
    __table_args__ = (Index(None, "customer_id"),)

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    scopes: Mapped[str] = mapped_column(String(600))
    partner_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("partner.id"))
    customer_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customer.id"))
    branch: Mapped[str | None] = mapped_column(String(16))
    # The most a query of this token may cost (c360.graphql.limits); null: the server's.
    cost_budget: Mapped[int | None] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
