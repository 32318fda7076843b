"""The inputs of the customer mutations (``c360.graphql.customer_mutations``).

Update inputs default every field to ``UNSET``, so that a field the client left out
(kept) differs from a field it set to null (cleared).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from c360.graphql.enums import (
    Channel,
    ContactKind,
    CustomerStatus,
    Education,
    IncomeBand,
    PartyType,
    Segment,
)

__all__ = [
    "AddContactPointInput",
    "ContactPointInput",
    "CreateCustomerInput",
    "RemoveContactPointInput",
    "UpdateContactPointInput",
    "UpdateCustomerInput",
]

UNSET: Any = strawberry.UNSET
_COUNTRY_DOC = "ISO 3166-1 alpha-2, e.g. PL."


@strawberry.input(
    description=(
        "An email (value), a phone number (value, in any format: read in countryCode, else "
        "the customer's country, and stored as E.164) or a postal address (addressLine1, "
        "postalCode, city and countryCode; value is made from them)."
    )
)
class ContactPointInput:
    kind: ContactKind
    value: str | None = None
    label: str | None = strawberry.field(default=None, description="Up to 32 characters.")
    is_primary: bool | None = strawberry.field(
        default=None,
        description="Defaults to true for the first current contact point of its kind.",
    )
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country_code: str | None = strawberry.field(default=None, description=_COUNTRY_DOC)


@strawberry.input(
    description=(
        "A new customer. A PERSON needs givenName and familyName, an ORGANISATION "
        "organisationName. Strings are trimmed and limited to their column sizes."
    )
)
class CreateCustomerInput:
    party_type: PartyType
    segment: Segment
    given_name: str | None = None
    family_name: str | None = None
    organisation_name: str | None = None
    birth_date: dt.date | None = strawberry.field(
        default=None, description="Not in the future, at most 130 years ago."
    )
    national_id: str | None = strawberry.field(
        default=None,
        description=(
            "Stored only as a keyed hash and its last four characters: 6 to 20 letters and "
            "digits (separators ignored)."
        ),
    )
    status: CustomerStatus | None = strawberry.field(
        default=None, description="Defaults to PROSPECT."
    )
    home_branch: str | None = None
    customer_since: dt.date | None = strawberry.field(
        default=None, description="Defaults to today."
    )
    education: Education | None = None
    income_band: IncomeBand | None = None
    occupation: str | None = None
    household_size: int | None = None
    interests: list[str] | None = None
    preferred_channel: Channel | None = None
    preferred_language: str | None = strawberry.field(
        default=None, description="A language tag, e.g. pl or en-GB."
    )
    country_code: str | None = strawberry.field(default=None, description=_COUNTRY_DOC)
    contact_points: list[ContactPointInput] | None = strawberry.field(
        default=None, description="At most 10."
    )


@strawberry.input(
    description=(
        "A change to a customer read at `version`. A field left out is kept; a field set "
        "to null is cleared."
    )
)
class UpdateCustomerInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version read; another gets VERSION_CONFLICT.")
    given_name: str | None = UNSET
    family_name: str | None = UNSET
    organisation_name: str | None = UNSET
    birth_date: dt.date | None = UNSET
    national_id: str | None = UNSET
    status: CustomerStatus | None = UNSET
    segment: Segment | None = UNSET
    home_branch: str | None = UNSET
    customer_since: dt.date | None = UNSET
    education: Education | None = UNSET
    income_band: IncomeBand | None = UNSET
    occupation: str | None = UNSET
    household_size: int | None = UNSET
    interests: list[str] | None = UNSET
    preferred_channel: Channel | None = UNSET
    preferred_language: str | None = UNSET
    country_code: str | None = UNSET


@strawberry.input(description="A new contact point of a customer (see ContactPointInput).")
class AddContactPointInput(ContactPointInput):
    customer_id: strawberry.ID


@strawberry.input(
    description=(
        "A change to a contact point; its kind stays. A field left out is kept; a field "
        "set to null is cleared. A changed address or number is no longer verified."
    )
)
class UpdateContactPointInput:
    id: strawberry.ID
    value: str | None = UNSET
    label: str | None = UNSET
    is_primary: bool | None = UNSET
    address_line1: str | None = UNSET
    address_line2: str | None = UNSET
    city: str | None = UNSET
    postal_code: str | None = UNSET
    region: str | None = UNSET
    country_code: str | None = UNSET


@strawberry.input
class RemoveContactPointInput:
    id: strawberry.ID
