"""Why a points operation was refused. Each refusal carries a stable code and the input field.

    LoyaltyError                   base: a code, a message fit to show a client, a field path
        CUSTOMER_NOT_FOUND         no customer with that id
        LOYALTY_ACCOUNT_NOT_FOUND  the customer has no account (in that program)
        ACCOUNT_NOT_ACTIVE         the account is suspended or closed
        INVALID_POINTS             zero, negative, above the per-entry maximum, or overflowing
        INVALID_INPUT              a string too long or empty, a naive or ill-ordered date
        INSUFFICIENT_POINTS        a redemption larger than the points available
        ENTRY_NOT_FOUND            no such entry on this customer's account
        ENTRY_NOT_REVERSIBLE       not an earn or a redemption, or nothing of it left to reverse
        ALREADY_REVERSED           the entry was reversed before (under another key)
        IDEMPOTENCY_KEY_REUSED     the key was used before for a different request

A refused operation writes nothing: its transaction is rolled back.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LoyaltyError", "LoyaltyErrorCode"]


class LoyaltyErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    LOYALTY_ACCOUNT_NOT_FOUND = "LOYALTY_ACCOUNT_NOT_FOUND"
    ACCOUNT_NOT_ACTIVE = "ACCOUNT_NOT_ACTIVE"
    INVALID_POINTS = "INVALID_POINTS"
    INVALID_INPUT = "INVALID_INPUT"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    ENTRY_NOT_FOUND = "ENTRY_NOT_FOUND"
    ENTRY_NOT_REVERSIBLE = "ENTRY_NOT_REVERSIBLE"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class LoyaltyError(Exception):
    """A refused points operation; ``field`` names the offending argument (snake_case)."""

    def __init__(self, code: LoyaltyErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
