"""GraphQL types of consents and partners."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.consent.repository import current_consents
from c360.graphql.common import Node
from c360.graphql.enums import ConsentPurpose
from c360.graphql.ids import encode_id
from c360.graphql.loaders import Loaders
from c360.graphql.permissions import requires

__all__ = ["Consent", "Partner", "consent_history_of", "consents_of", "load_consent"]


@strawberry.type(description="An organisation a customer may agree to share data with.")
class Partner:
    code: str
    name: str


@strawberry.type(
    directives=requires(Scope.CONSENTS_READ),
    description=(
        "A consent decision. Decisions are never changed: granting or revoking records a "
        "new one, and the newest per purpose and partner is the one in force."
    ),
)
class Consent(Node):
    purpose: ConsentPurpose
    partner: Partner | None = strawberry.field(description="Set for PARTNER_SHARING only.")
    granted: bool
    captured_at: dt.datetime
    source: str = strawberry.field(description="Where it was captured: web, branch, crm...")

    @classmethod
    def from_row(cls, row: Row[Any]) -> Consent:
        return cls(
            id=strawberry.ID(encode_id("Consent", row.id)),
            purpose=row.purpose,
            partner=None
            if row.partner_id is None
            else Partner(code=row.partner_code, name=row.partner_name),
            granted=row.granted,
            captured_at=row.captured_at,
            source=row.source,
        )


async def consents_of(loaders: Loaders, customer_id: int) -> list[Consent]:
    history = await loaders.consents_by_customer_id.load(customer_id)
    return [Consent.from_row(row) for row in current_consents(history)]


async def consent_history_of(loaders: Loaders, customer_id: int) -> list[Consent]:
    history = await loaders.consents_by_customer_id.load(customer_id)
    return [Consent.from_row(row) for row in history]


async def load_consent(loaders: Loaders, pk: int) -> Consent | None:
    row = await loaders.consent_by_id.load(pk)
    return None if row is None else Consent.from_row(row)
