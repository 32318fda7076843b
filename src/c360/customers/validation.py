"""What a writer may put into a customer profile, and how it is stored.

Pure functions: each takes what a client sent (already typed: enums, dates) and returns
column values, or raises ``CustomerError`` naming the offending input field. String
limits are the column sizes of the models, so a value that passes always fits. The
derived ``display_name`` and ``search_name`` are computed with
``c360.customers.normalize``, as the demo data writes and the search reads them.
Contact points: ``c360.customers.contact_validation``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, NoReturn

import phonenumbers
from sqlalchemy import String, Table

from c360.customers.errors import CustomerError, CustomerErrorCode
from c360.customers.history import api_name
from c360.customers.models import (
    Channel,
    Customer,
    CustomerStatus,
    Education,
    IncomeBand,
    PartyType,
    Segment,
)
from c360.customers.normalize import fold_text, last4, national_id_hash, normalize_national_id

__all__ = [
    "PROFILE_FIELDS",
    "check_party_rules",
    "clean_national_id",
    "clean_profile",
    "country",
    "derived_names",
    "column_length",
    "refuse",
    "text",
]

Code = CustomerErrorCode
_customer: Table = Customer.__table__  # type: ignore[assignment]

MAX_INTERESTS = 20
MAX_INTEREST_LENGTH = 40
MAX_HOUSEHOLD_SIZE = 30
# Nobody alive was born longer ago than this; an older date is a typing error.
MAX_AGE_YEARS = 130
EARLIEST_CUSTOMER_SINCE = dt.date(1900, 1, 1)
# The shape ``c360.customers.search.plan_search`` hashes, so every stored id is findable.
_NATIONAL_ID = re.compile(r"(?=[A-Z]*\d)[A-Z0-9]{6,20}")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# phonenumbers knows every ISO 3166-1 country that has a telephone numbering plan.
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)

# Input field (snake_case) -> customer column, for the fields a writer may set.
PROFILE_FIELDS: dict[str, str] = {
    "given_name": "given_name",
    "family_name": "family_name",
    "organisation_name": "organisation_name",
    "birth_date": "birth_date",
    "status": "status",
    "segment": "segment",
    "home_branch": "home_branch",
    "customer_since": "customer_since_date",
    "education": "education",
    "income_band": "income_band",
    "occupation": "occupation",
    "household_size": "household_size",
    "interests": "interests",
    "preferred_channel": "preferred_channel",
    "preferred_language": "preferred_language",
    "country_code": "country_code",
}
_FIELD_OF_COLUMN = {column: field for field, column in PROFILE_FIELDS.items()}

# profile -----------------------------------------------------------------------------


def clean_profile(values: Mapping[str, Any], *, today: dt.date) -> dict[str, Any]:
    """Column values of the given input fields (by input name); a None stays None."""
    cleaned: dict[str, Any] = {}
    for field, value in values.items():
        cleaned[PROFILE_FIELDS[field]] = (
            None if value is None else _PROFILE_CLEANERS[field](value, field, today)
        )
    return cleaned


def check_party_rules(row: Mapping[str, Any]) -> None:
    """The whole profile (column values, after a change) makes sense for its party type."""
    for column in ("status", "segment", "customer_since_date"):
        if row.get(column) is None:
            refuse(Code.REQUIRED, f"{_input_name(column)} cannot be null", _field_of(column))
    if row["party_type"] == PartyType.PERSON:
        required, forbidden = ("given_name", "family_name"), ("organisation_name",)
    else:
        required = ("organisation_name",)
        forbidden = ("given_name", "family_name", "birth_date", "household_size", "education")
    for column in required:
        if row.get(column) is None:
            refuse(Code.REQUIRED, f"a {row['party_type']} needs {_input_name(column)}", column)
    for column in forbidden:
        if row.get(column) is not None:
            refuse(
                Code.INVALID_VALUE, f"a {row['party_type']} has no {_input_name(column)}", column
            )


def _field_of(column: str) -> str:
    return _FIELD_OF_COLUMN.get(column, column)


def _input_name(column: str) -> str:
    return api_name(_field_of(column))


def derived_names(row: Mapping[str, Any]) -> dict[str, str]:
    """``display_name`` and ``search_name`` of a profile, as the demo data writes them."""
    if row["party_type"] == PartyType.ORGANISATION:
        display = row["organisation_name"]
        return {"display_name": display, "search_name": fold_text(display)}
    given, family = row["given_name"], row["family_name"]
    return {
        "display_name": f"{given} {family}",
        "search_name": f"{fold_text(given)} {fold_text(family)}",
    }


def clean_national_id(value: str, *, secret_key: str) -> dict[str, str]:
    """The stored form of a national or tax id: its keyed hash and its last four characters."""
    normalized = normalize_national_id(value)
    if not _NATIONAL_ID.fullmatch(normalized):
        refuse(
            Code.INVALID_NATIONAL_ID,
            "a national id has 6 to 20 letters and digits, at least one of them a digit",
            "national_id",
        )
    return {
        "national_id_hash": national_id_hash(normalized, secret_key=secret_key),
        "national_id_last4": last4(normalized),
    }


def _name(value: str, field: str, _today: dt.date) -> str | None:
    return text(value, field, column=_customer.c[PROFILE_FIELDS[field]])


def _birth_date(value: dt.date, field: str, today: dt.date) -> dt.date:
    if value > today:
        refuse(Code.INVALID_DATE, "birthDate is in the future", field)
    if value < today.replace(year=today.year - MAX_AGE_YEARS, day=min(today.day, 28)):
        refuse(Code.INVALID_DATE, f"birthDate is more than {MAX_AGE_YEARS} years ago", field)
    return value


def _customer_since(value: dt.date, field: str, today: dt.date) -> dt.date:
    if value > today:
        refuse(Code.INVALID_DATE, "customerSince is in the future", field)
    if value < EARLIEST_CUSTOMER_SINCE:
        refuse(Code.INVALID_DATE, f"customerSince is before {EARLIEST_CUSTOMER_SINCE}", field)
    return value


def _household_size(value: int, field: str, _today: dt.date) -> int:
    if isinstance(value, bool) or not 1 <= value <= MAX_HOUSEHOLD_SIZE:
        refuse(Code.INVALID_VALUE, f"householdSize is 1 to {MAX_HOUSEHOLD_SIZE}", field)
    return value


def _interests(value: list[str], field: str, _today: dt.date) -> list[str]:
    if len(value) > MAX_INTERESTS:
        refuse(Code.TOO_LONG, f"interests holds at most {MAX_INTERESTS} tags", field)
    tags: list[str] = []
    for index, tag in enumerate(value):
        cleaned = text(tag, field, max_length=MAX_INTEREST_LENGTH, required=True, index=index)
        if cleaned not in tags:  # a set of tags: repeats add nothing
            tags.append(cleaned)  # type: ignore[arg-type]
    return tags


def _language(value: str, field: str, _today: dt.date) -> str:
    tag = text(value, field, column=_customer.c.preferred_language, required=True)
    if tag is None or not _LANGUAGE_TAG.fullmatch(tag):
        refuse(Code.INVALID_VALUE, "preferredLanguage is a language tag such as pl or en-GB", field)
    return tag  # type: ignore[return-value]


def _country(value: str, field: str, _today: dt.date) -> str:
    return country(value, field)


def _enum_of(enum_cls: type[Enum]) -> Callable[[Any, str, dt.date], Any]:
    def check(value: Any, field: str, _today: dt.date) -> Any:
        if not isinstance(value, enum_cls):
            refuse(Code.INVALID_VALUE, f"{api_name(field)} is not a {enum_cls.__name__}", field)
        return value

    return check


def _short_text(column: str) -> Callable[[str, str, dt.date], str | None]:
    def check(value: str, field: str, _today: dt.date) -> str | None:
        return text(value, field, column=_customer.c[column])

    return check


_PROFILE_CLEANERS: dict[str, Callable[[Any, str, dt.date], Any]] = {
    "given_name": _name,
    "family_name": _name,
    "organisation_name": _name,
    "birth_date": _birth_date,
    "status": _enum_of(CustomerStatus),
    "segment": _enum_of(Segment),
    "home_branch": _short_text("home_branch"),
    "customer_since": _customer_since,
    "education": _enum_of(Education),
    "income_band": _enum_of(IncomeBand),
    "occupation": _short_text("occupation"),
    "household_size": _household_size,
    "interests": _interests,
    "preferred_channel": _enum_of(Channel),
    "preferred_language": _language,
    "country_code": _country,
}


# shared checks -----------------------------------------------------------------------


def text(
    value: str | None,
    field: str,
    *,
    column: Any = None,
    max_length: int | None = None,
    required: bool = False,
    index: int | None = None,
) -> str | None:
    """A trimmed single-line string that fits its column; blank counts as absent."""
    path = (field,) if index is None else (field, str(index))
    stripped = None if value is None else value.strip()
    if not stripped:  # blank is no value: it clears an optional field, like null
        if required:
            refuse(Code.REQUIRED, f"{api_name(field)} cannot be empty", *path)
        return None
    limit = max_length if max_length is not None else column_length(column)
    if len(stripped) > limit:
        refuse(Code.TOO_LONG, f"{api_name(field)} has more than {limit} characters", *path)
    if _CONTROL_CHARACTERS.search(stripped):
        refuse(Code.INVALID_VALUE, f"{api_name(field)} contains control characters", *path)
    return stripped


def country(value: str, field: str) -> str:
    code = value.strip().upper()
    if code not in _COUNTRIES:
        refuse(Code.INVALID_COUNTRY, f"not an ISO 3166-1 alpha-2 country code: {value!r}", field)
    return code


def column_length(column: Any) -> int:
    """The length of a string column: the longest value a client may write into it."""
    if not isinstance(column.type, String) or column.type.length is None:
        raise TypeError(f"{column} has no length")  # a programming error, not input
    return int(column.type.length)


def refuse(code: CustomerErrorCode, message: str, *field: str) -> NoReturn:
    """Raise the refusal of the input at ``field`` (a path of snake_case parts)."""
    raise CustomerError(code, message, field=field)
