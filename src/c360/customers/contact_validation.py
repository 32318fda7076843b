"""What a writer may put into a contact point, and how it is stored.

Emails are checked for syntax only (``email-validator``, no DNS lookups: nothing leaves
the process). Phone numbers are parsed with ``phonenumbers`` in the contact's country,
else the customer's, and stored as E.164. A postal address is given by its parts and
stored on one line as well. ``search_key`` is computed with ``c360.customers.normalize``,
as the demo data writes it and the search reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import email_validator
import phonenumbers
from sqlalchemy import Table

from c360.customers.errors import CustomerErrorCode
from c360.customers.history import api_name
from c360.customers.models import ContactKind, ContactPoint
from c360.customers.normalize import (
    email_search_key,
    fold_text,
    phone_search_key,
    postal_one_line,
)
from c360.customers.validation import column_length, country, refuse, text

__all__ = ["CONTACT_FIELDS", "MAX_CONTACT_POINTS", "clean_contact", "contact_identity"]

Code = CustomerErrorCode
_contact: Table = ContactPoint.__table__  # type: ignore[assignment]

MAX_CONTACT_POINTS = 10

# The contact point fields a writer may set (the column has the same name).
CONTACT_FIELDS = (
    "value",
    "label",
    "is_primary",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "region",
    "country_code",
)
_ADDRESS_PARTS = ("address_line1", "address_line2", "city", "postal_code", "region")
_REQUIRED_ADDRESS_PARTS = ("address_line1", "postal_code", "city")


def clean_contact(
    kind: ContactKind, values: Mapping[str, Any], *, default_country: str | None
) -> dict[str, Any]:
    """Column values of a whole contact point (every field of CONTACT_FIELDS, by name).

    Emails are checked for syntax only (no DNS lookups: nothing leaves the process);
    phone numbers are read in the contact's country, else ``default_country`` (the
    customer's), and stored as E.164.
    """
    row: dict[str, Any] = {"kind": kind}
    row["label"] = text(values.get("label"), "label", column=_contact.c.label)
    row["is_primary"] = bool(values.get("is_primary"))
    given_country = values.get("country_code")
    row["country_code"] = None if given_country is None else country(given_country, "country_code")
    if kind == ContactKind.POSTAL:
        # An address is always in some country: the customer's unless it says otherwise.
        row["country_code"] = row["country_code"] or default_country
        row.update(_postal(values, row["country_code"]))
        return row
    for part in _ADDRESS_PARTS:
        if values.get(part) is not None:
            refuse(Code.INVALID_VALUE, f"an {kind} contact has no {api_name(part)}", part)
    raw = text(values.get("value"), "value", column=_contact.c.value, required=True)
    assert raw is not None
    if kind == ContactKind.EMAIL:
        row["value"] = _email(raw)
        row["search_key"] = email_search_key(row["value"])
    else:
        row["value"] = _phone(raw, row["country_code"] or default_country)
        row["search_key"] = phone_search_key(row["value"])
    for part in _ADDRESS_PARTS:
        row[part] = None
    return row


def contact_identity(kind: ContactKind | str, value: str) -> str:
    """What makes two contact points of one customer the same address or number."""
    if kind == ContactKind.EMAIL:
        return email_search_key(value)
    if kind == ContactKind.PHONE:
        return value  # E.164 already
    return fold_text(value)


def _email(value: str) -> str:
    try:
        checked = email_validator.validate_email(
            value, check_deliverability=False, allow_smtputf8=True
        )
    except email_validator.EmailNotValidError as error:
        refuse(Code.INVALID_EMAIL, f"not a valid email address: {error}", "value")
    return str(checked.normalized)


def _phone(value: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        hint = "" if region else " (give it with +<country code>, or a countryCode)"
        refuse(Code.INVALID_PHONE, f"not a phone number: {value!r}{hint}", "value")
    if not phonenumbers.is_valid_number(number):
        where = f" in {region}" if region and not value.lstrip().startswith("+") else ""
        refuse(Code.INVALID_PHONE, f"not a valid phone number{where}: {value!r}", "value")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _postal(values: Mapping[str, Any], country_code: str | None) -> dict[str, Any]:
    if values.get("value") is not None:
        refuse(
            Code.INVALID_VALUE,
            "a postal address is given by its parts (addressLine1, postalCode, city), not value",
            "value",
        )
    parts = {part: text(values.get(part), part, column=_contact.c[part]) for part in _ADDRESS_PARTS}
    for part in _REQUIRED_ADDRESS_PARTS:
        if parts[part] is None:
            refuse(Code.REQUIRED, f"a postal address needs {api_name(part)}", part)
    if country_code is None:
        refuse(Code.REQUIRED, "a postal address needs countryCode", "country_code")
    line = postal_one_line(
        country_code,
        parts["address_line1"],
        parts["address_line2"],
        parts["postal_code"],
        parts["city"],
    )
    if len(line) > column_length(_contact.c.value):
        refuse(Code.TOO_LONG, "the address is too long to store on one line", "address_line1")
    return {**parts, "value": line, "search_key": fold_text(parts["city"])}
