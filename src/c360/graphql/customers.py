"""The ``Customer`` type: its profile, and every relation a customer view shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.customers import masking
from c360.customers.digest import primary_loyalty_account
from c360.graphql.audit import AccessLogEntry, access_log_of
from c360.graphql.common import Node, row_column, row_global_id
from c360.graphql.consent import Consent, consent_history_of, consents_of
from c360.graphql.context import GraphQLInfo
from c360.graphql.customer_history import CustomerChange, history_of
from c360.graphql.enums import (
    Channel,
    ContactKind,
    CustomerStatus,
    Education,
    HoldingStatus,
    IncomeBand,
    PartyType,
    Segment,
    TicketStatus,
)
from c360.graphql.holdings import Holding, holdings_of
from c360.graphql.ids import encode_id
from c360.graphql.interactions import Interaction, SupportTicket, interactions_of, tickets_of
from c360.graphql.loaders import Loaders
from c360.graphql.loyalty import LoyaltyAccount
from c360.graphql.pagination import Connection
from c360.graphql.permissions import requires
from c360.graphql.recommend import ProductOffer, offers_of
from c360.graphql.summary import CustomerSummary
from c360.graphql.warranty import WarrantyPolicy

__all__ = [
    "Attachment",
    "ContactPoint",
    "Customer",
    "load_attachment",
    "load_contact_point",
    "load_customer",
]


@strawberry.type(
    directives=requires(Scope.CUSTOMER_READ),
    description="An email address, a phone number or a postal address.",
)
class ContactPoint(Node):
    kind: ContactKind
    label: str | None = strawberry.field(description="home, work, mobile...")
    value: str = strawberry.field(
        description="As shown: an email, an E.164 phone number or a one-line postal address."
    )
    address_line1: str | None
    address_line2: str | None
    city: str | None
    postal_code: str | None
    region: str | None
    country_code: str | None
    is_primary: bool
    verified_at: dt.datetime | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None = strawberry.field(description="Null while still valid.")
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Row[Any], *, pii: bool) -> ContactPoint:
        """The contact point, masked unless ``pii`` (the caller holds ``customer:pii``)."""
        return cls(
            id=strawberry.ID(encode_id("ContactPoint", row.id)),
            kind=row.kind,
            label=row.label,
            value=row.value if pii else _masked_contact(row),
            address_line1=row.address_line1
            if pii
            else masking.mask_address_line(row.address_line1),
            address_line2=row.address_line2
            if pii
            else masking.mask_address_line(row.address_line2),
            city=row.city,
            postal_code=row.postal_code if pii else masking.mask_postal_code(row.postal_code),
            region=row.region,
            country_code=row.country_code,
            is_primary=row.is_primary,
            verified_at=row.verified_at,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            created_at=row.created_at,
        )


def _masked_contact(row: Row[Any]) -> str:
    match row.kind:
        case ContactKind.EMAIL:
            return masking.mask_email(row.value)
        case ContactKind.PHONE:
            return masking.mask_phone(row.value)
        case _:  # a postal address: the town only
            return f"***, {row.city}" if row.city else "***"


@strawberry.type(
    directives=requires(Scope.CUSTOMER_PII),
    description="A file kept about a customer (metadata; the bytes are elsewhere).",
)
class Attachment(Node):
    file_name: str
    media_type: str
    size_bytes: int
    checksum_sha256: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> Attachment:
        return cls(
            id=strawberry.ID(encode_id("Attachment", row.id)),
            file_name=row.file_name,
            media_type=row.media_type,
            size_bytes=row.size_bytes,
            checksum_sha256=row.checksum_sha256,
            created_at=row.created_at,
        )


@strawberry.type(
    directives=requires(Scope.CUSTOMER_READ),
    description=(
        "A customer: a person or an organisation, and everything known about it. The "
        "relations are nullable so that one section failing to load (null, with an error "
        "beside the data) does not blank the whole customer view."
    ),
)
class Customer(Node):
    party_type: PartyType
    display_name: str
    given_name: str | None
    family_name: str | None
    organisation_name: str | None
    birth_date: dt.date | None
    national_id_last4: str | None = strawberry.field(
        description=(
            "The last four characters of the national or tax id, which is never stored in clear."
        )
    )
    status: CustomerStatus
    segment: Segment
    home_branch: str | None
    customer_since: dt.date
    education: Education | None
    income_band: IncomeBand | None
    occupation: str | None
    household_size: int | None
    interests: list[str]
    preferred_channel: Channel | None
    preferred_language: str | None
    country_code: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(description="Changes with every update (optimistic locking).")
    _row: strawberry.Private[Row[Any]]

    @classmethod
    def from_row(cls, row: Row[Any], *, pii: bool) -> Customer:
        """The customer; a person's names and birth date masked unless ``pii``."""
        return _CustomerRow(row, pii)

    @strawberry.field(
        description="Current and past contact points, by kind, the primary one first."
    )
    async def contact_points(self, info: GraphQLInfo) -> list[ContactPoint] | None:
        rows = await info.context.loaders.contact_points_by_customer_id.load(self._row.id)
        pii = info.context.shows_pii
        return [ContactPoint.from_row(row, pii=pii) for row in rows]

    @strawberry.field(
        directives=requires(Scope.HOLDINGS_READ),
        description="Holdings, oldest first; only those in `status` when given.",
    )
    async def holdings(
        self, info: GraphQLInfo, status: list[HoldingStatus] | None = None
    ) -> list[Holding] | None:
        return await holdings_of(info.context.loaders, self._row.id, status)

    @strawberry.field(
        directives=requires(Scope.LOYALTY_READ),
        description="The loyalty membership: the first active account, else the first one.",
    )
    async def loyalty(self, info: GraphQLInfo) -> LoyaltyAccount | None:
        rows = await info.context.loaders.loyalty_accounts_by_customer_id.load(self._row.id)
        account = primary_loyalty_account(rows)
        return None if account is None else LoyaltyAccount.from_row(account)

    @strawberry.field(
        directives=requires(Scope.LOYALTY_READ),
        description="Every loyalty account, earliest enrolment first.",
    )
    async def loyalty_accounts(self, info: GraphQLInfo) -> list[LoyaltyAccount] | None:
        rows = await info.context.loaders.loyalty_accounts_by_customer_id.load(self._row.id)
        return [LoyaltyAccount.from_row(row) for row in rows]

    @strawberry.field(
        directives=requires(Scope.WARRANTY_READ),
        description="Warranty policies with their claims, the latest purchase first.",
    )
    async def warranties(self, info: GraphQLInfo) -> list[WarrantyPolicy] | None:
        rows = await info.context.loaders.warranty_policies_by_customer_id.load(self._row.id)
        return [WarrantyPolicy.from_row(row) for row in rows]

    @strawberry.field(
        directives=requires(Scope.INTERACTIONS_READ),
        description="Contacts on every channel (or on `channel`), newest first.",
    )
    async def interactions(
        self,
        info: GraphQLInfo,
        first: int | None = 20,
        after: str | None = None,
        channel: Channel | None = None,
    ) -> Connection[Interaction] | None:
        return await interactions_of(
            info.context.loaders, self._row.id, first=first, after=after, channel=channel
        )

    @strawberry.field(
        directives=requires(Scope.INTERACTIONS_READ),
        description="Support tickets, the latest first; only those in `status` when given.",
    )
    async def tickets(
        self, info: GraphQLInfo, status: list[TicketStatus] | None = None
    ) -> list[SupportTicket] | None:
        return await tickets_of(info.context.loaders, self._row.id, status)

    @strawberry.field(
        directives=requires(Scope.CONSENTS_READ),
        description="The consent in force for each purpose and partner.",
    )
    async def consents(self, info: GraphQLInfo) -> list[Consent] | None:
        return await consents_of(info.context.loaders, self._row.id)

    @strawberry.field(
        directives=requires(Scope.CONSENTS_READ),
        description="Every consent decision, by purpose and partner, newest first.",
    )
    async def consent_history(self, info: GraphQLInfo) -> list[Consent] | None:
        return await consent_history_of(info.context.loaders, self._row.id)

    @strawberry.field(
        directives=requires(Scope.CUSTOMER_PII),
        description="Files kept about the customer, newest first.",
    )
    async def attachments(self, info: GraphQLInfo) -> list[Attachment] | None:
        rows = await info.context.loaders.attachments_by_customer_id.load(self._row.id)
        return [Attachment.from_row(row) for row in rows]

    @strawberry.field(
        directives=requires(Scope.AUDIT_READ),
        description="Who read this customer's data through the API, newest first.",
    )
    async def access_log(
        self, info: GraphQLInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[AccessLogEntry]:
        return await access_log_of(info, self._row.id, first, after)

    @strawberry.field(
        directives=requires(Scope.RECOMMENDATIONS_READ),
        description="Products to offer next, best first: never one the customer holds or is "
        "not eligible for, nor without consent to marketing, nor one rejected recently. "
        "`channel` is where the offers will be made: the cap per contact counts the offers "
        "already made there (without it, on every channel).",
    )
    async def next_best_products(
        self, info: GraphQLInfo, first: int = 3, channel: Channel | None = None
    ) -> list[ProductOffer] | None:
        return await offers_of(info.context.loaders, self._row.id, first, channel)

    @strawberry.field(
        description=(
            "Every change to the profile and the contact points, newest first: the field, "
            "its old and new value, who changed it, when and through what."
        ),
        directives=requires(Scope.CUSTOMER_PII),  # old values in clear: addresses, names
    )
    async def history(
        self, info: GraphQLInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[CustomerChange] | None:
        return await history_of(info.context.loaders, self._row.id, first=first, after=after)

    @strawberry.field(description="The teller's one-look digest.")
    def summary(self) -> CustomerSummary | None:
        return CustomerSummary(customer_since=self._row.customer_since_date, _customer=self._row)


class _CustomerRow(Customer):
    """A ``Customer`` that reads its row when a field asks (``row_column``)."""

    def __init__(self, row: Row[Any], pii: bool) -> None:  # no dataclass init
        self._row = row
        self._pii = pii
        # An organisation's name is not personal data; a person's is.
        self._masks_names = not pii and row.party_type == PartyType.PERSON

    def _name(self, value: str | None) -> str | None:
        return masking.mask_name(value) if self._masks_names else value

    id = row_global_id("Customer")
    party_type = row_column("party_type")
    display_name = property(lambda self: self._name(self._row.display_name))
    given_name = property(lambda self: self._name(self._row.given_name))
    family_name = property(lambda self: self._name(self._row.family_name))
    organisation_name = row_column("organisation_name")
    birth_date = property(lambda self: self._row.birth_date if self._pii else None)
    national_id_last4 = row_column("national_id_last4")
    status = row_column("status")
    segment = row_column("segment")
    home_branch = row_column("home_branch")
    customer_since = row_column("customer_since_date")
    education = row_column("education")
    income_band = row_column("income_band")
    occupation = row_column("occupation")
    household_size = row_column("household_size")
    interests = property(lambda self: self._row.interests or [])
    preferred_channel = row_column("preferred_channel")
    preferred_language = row_column("preferred_language")
    country_code = row_column("country_code")
    created_at = row_column("created_at")
    updated_at = row_column("updated_at")
    version = row_column("version")


async def load_customer(loaders: Loaders, pk: int) -> Customer | None:
    row = await loaders.customer_by_id.load(pk)
    if row is None:
        return None
    loaders.read_customer_ids.add(row.id)
    return Customer.from_row(row, pii=loaders.shows_pii)


async def load_contact_point(loaders: Loaders, pk: int) -> ContactPoint | None:
    row = await loaders.contact_point_by_id.load(pk)
    return None if row is None else ContactPoint.from_row(row, pii=loaders.shows_pii)


async def load_attachment(loaders: Loaders, pk: int) -> Attachment | None:
    row = await loaders.attachment_by_id.load(pk)
    return None if row is None else Attachment.from_row(row)
