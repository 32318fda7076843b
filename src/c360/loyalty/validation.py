"""Checks of the loyalty writes' input: points, texts and times, each a coded error."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row

from c360.loyalty.errors import LoyaltyError, LoyaltyErrorCode

__all__ = [
    "MAX_BALANCE",
    "MAX_KEY_LENGTH",
    "MAX_POINTS",
    "MAX_PROGRAM_CODE_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_SOURCE_REF_LENGTH",
    "SYSTEM_KEY_PREFIX",
    "check_balance",
    "check_points",
    "check_text",
    "check_time",
    "now_or",
]

# Per entry: larger amounts are typing errors, not purchases.
MAX_POINTS = 1_000_000
# Balances and lifetime totals stay well inside a 32-bit INTEGER column.
MAX_BALANCE = 1_000_000_000
MAX_REASON_LENGTH = 200
MAX_KEY_LENGTH = 64
MAX_SOURCE_REF_LENGTH = 64
MAX_PROGRAM_CODE_LENGTH = 32
SYSTEM_KEY_PREFIX = "c360:"

Code = LoyaltyErrorCode


def now_or(now: dt.datetime | None) -> dt.datetime:
    """``now`` checked, or the current time."""
    return dt.datetime.now(dt.UTC) if now is None else check_time("now", now)


def check_points(points: int, *, field: str = "points") -> None:
    if isinstance(points, bool) or not isinstance(points, int):
        raise LoyaltyError(Code.INVALID_POINTS, "points must be a whole number", field=field)
    if not 0 < points <= MAX_POINTS:
        raise LoyaltyError(
            Code.INVALID_POINTS,
            f"points must be between 1 and {MAX_POINTS:,} in size",
            field=field,
        )


def check_balance(acc: Row[Any], points: int) -> None:
    if acc.points_balance + points > MAX_BALANCE or acc.lifetime_points + points > MAX_BALANCE:
        raise LoyaltyError(
            Code.INVALID_POINTS, f"the balance would exceed {MAX_BALANCE:,} points", field="points"
        )


def check_text(*, reason: str, idempotency_key: str, source_ref: str | None = None) -> None:
    if not reason.strip() or len(reason) > MAX_REASON_LENGTH:
        raise LoyaltyError(
            Code.INVALID_INPUT,
            f"reason must have 1 to {MAX_REASON_LENGTH} characters",
            field="reason",
        )
    if not idempotency_key.strip() or len(idempotency_key) > MAX_KEY_LENGTH:
        raise LoyaltyError(
            Code.INVALID_INPUT,
            f"idempotencyKey must have 1 to {MAX_KEY_LENGTH} characters",
            field="idempotency_key",
        )
    if idempotency_key.startswith(SYSTEM_KEY_PREFIX):
        raise LoyaltyError(
            Code.INVALID_INPUT,
            f"idempotency keys starting with {SYSTEM_KEY_PREFIX!r} are reserved",
            field="idempotency_key",
        )
    if source_ref is not None and not 0 < len(source_ref) <= MAX_SOURCE_REF_LENGTH:
        raise LoyaltyError(
            Code.INVALID_INPUT,
            f"sourceRef must have 1 to {MAX_SOURCE_REF_LENGTH} characters",
            field="source_ref",
        )


def check_time(field: str, value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise LoyaltyError(Code.INVALID_INPUT, f"{field} needs a time zone", field=field)
    return value.astimezone(dt.UTC)
