"""Checks of write input shared by the domain services: text sizes, times, amounts.

Each raises ``InvalidInput`` naming the offending argument (snake_case); every domain
reports it with its ``INVALID_INPUT`` code. Text is stripped before it is measured and
stored, so a value of spaces counts as empty.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST_TIME",
    "MAX_TEXT_LENGTH",
    "InvalidInput",
    "aware_utc",
    "currency_code",
    "money_amount",
    "optional_text",
    "past_time",
    "required_text",
]

# Free text stored in TEXT columns (summaries, descriptions) is bounded all the same.
MAX_TEXT_LENGTH = 4000
# A client's clock may run a little ahead of ours; further ahead is an error.
CLOCK_SKEW = dt.timedelta(minutes=5)
# Nothing c360 records happened before this; an earlier time is a typing error.
EARLIEST_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CURRENCY = re.compile(r"[A-Z]{3}")
_CENT = Decimal("0.01")


class InvalidInput(Exception):
    """An argument that is ill-formed or out of range; ``field`` names it (snake_case)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def required_text(field: str, value: str, *, max_length: int) -> str:
    """``value`` stripped; 1 to ``max_length`` characters."""
    text = value.strip()
    if not 0 < len(text) <= max_length:
        raise InvalidInput(field, f"{_camel(field)} must have 1 to {max_length} characters")
    return text


def optional_text(field: str, value: str | None, *, max_length: int) -> str | None:
    """Like ``required_text`` when given; ``None`` stays ``None``."""
    return None if value is None else required_text(field, value, max_length=max_length)


def aware_utc(field: str, value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise InvalidInput(field, f"{_camel(field)} needs a time zone")
    return value.astimezone(dt.UTC)


def now_or(now: dt.datetime | None) -> dt.datetime:
    """``now`` as an aware UTC time, or the current time when not given."""
    return dt.datetime.now(dt.UTC) if now is None else aware_utc("now", now)


def past_time(field: str, value: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    """``value`` in UTC; refused when it is later than ``now`` (give or take clock skew)
    or earlier than 1970."""
    value = aware_utc(field, value)
    if value > now + CLOCK_SKEW:
        raise InvalidInput(field, f"{_camel(field)} is in the future")
    if value < EARLIEST_TIME:
        raise InvalidInput(field, f"{_camel(field)} is before {EARLIEST_TIME.year}")
    return value


def money_amount(
    field: str, value: Decimal, *, maximum: Decimal, positive: bool = False
) -> Decimal:
    """An exact amount in whole cents: 0 (or more than 0 when ``positive``) to ``maximum``."""
    low = "more than 0" if positive else "0"
    if not value.is_finite() or value > maximum or value < 0 or (positive and value == 0):
        raise InvalidInput(field, f"{_camel(field)} must be {low} to {maximum:,}")
    # Checked after the range: quantizing a huge value would overflow the context.
    if value != value.quantize(_CENT):
        raise InvalidInput(field, f"{_camel(field)} must have at most 2 decimals")
    return value.quantize(_CENT)


def currency_code(field: str, value: str) -> str:
    """An ISO 4217 alphabetic code: three capital letters."""
    if not _CURRENCY.fullmatch(value):
        raise InvalidInput(field, f"{_camel(field)} must be an ISO 4217 code such as PLN")
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
