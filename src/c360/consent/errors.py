"""Why a consent write was refused. Each refusal carries a stable code and the input field.

    ConsentError                   base: a code, a message fit to show a client, a field path
        CUSTOMER_NOT_FOUND         no customer with that id (or one the caller may not see)
        PARTNER_REQUIRED           PARTNER_SHARING names no partner
        PARTNER_NOT_ALLOWED        a partner named for a purpose that has none
        PARTNER_NOT_FOUND          no partner with that code
        INVALID_INPUT              the source is empty or too long

A refused write writes nothing: its transaction is rolled back.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ConsentError", "ConsentErrorCode"]


class ConsentErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    PARTNER_REQUIRED = "PARTNER_REQUIRED"
    PARTNER_NOT_ALLOWED = "PARTNER_NOT_ALLOWED"
    PARTNER_NOT_FOUND = "PARTNER_NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"


class ConsentError(Exception):
    """A refused consent write; ``field`` names the offending argument (snake_case)."""

    def __init__(self, code: ConsentErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
