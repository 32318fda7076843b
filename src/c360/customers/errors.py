"""Why a change to a customer was refused. Each refusal carries a stable code and the input field.

    CustomerError                   base: a code, a message fit to show a client, a field path
        INVALID_ID                  not a global id, or the id of another type
        CUSTOMER_NOT_FOUND          no customer with that id (or none the caller may see)
        CONTACT_POINT_NOT_FOUND     no contact point with that id (or none the caller may see)
        VERSION_CONFLICT            the customer changed since the caller read its version
        REQUIRED                    a value that must be given is missing, empty or null
        TOO_LONG                    a string or a list longer than its column or limit
        INVALID_VALUE               out of range, or not for this kind of customer or contact
        INVALID_DATE                a date in the future or implausibly long ago
        INVALID_COUNTRY             not an ISO 3166-1 alpha-2 country code
        INVALID_EMAIL               not a syntactically valid email address
        INVALID_PHONE               not a valid phone number (for the country it is read in)
        INVALID_NATIONAL_ID         not 6 to 20 letters and digits with at least one digit
        DUPLICATE_CONTACT_POINT     the customer already has this address or number

A refused change writes nothing: its transaction is rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

__all__ = ["CustomerError", "CustomerErrorCode"]


class CustomerErrorCode(StrEnum):
    INVALID_ID = "INVALID_ID"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    CONTACT_POINT_NOT_FOUND = "CONTACT_POINT_NOT_FOUND"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_DATE = "INVALID_DATE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_NATIONAL_ID = "INVALID_NATIONAL_ID"
    DUPLICATE_CONTACT_POINT = "DUPLICATE_CONTACT_POINT"


class CustomerError(Exception):
    """A refused change; ``field`` is the path of the offending input, in snake_case parts
    (``("contact_points", "0", "value")``), which the API layer spells its own way."""

    def __init__(
        self, code: CustomerErrorCode, message: str, *, field: Sequence[str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field: tuple[str, ...] | None = None if field is None else tuple(field)

    def under(self, *prefix: str) -> CustomerError:
        """The same refusal with its field nested under ``prefix`` (e.g. a list item)."""
        return CustomerError(self.code, self.message, field=(*prefix, *(self.field or ())))
