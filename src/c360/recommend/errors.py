"""Why recording an offer response was refused. Each refusal has a stable code and field.

    OfferResponseError          base: a code, a message fit to show a client, a field name
        CUSTOMER_NOT_FOUND      no customer with that id (or one the caller may not see)
        PRODUCT_NOT_FOUND       no active product with that code
        INVALID_INPUT           a malformed id, a model version or key too long, a future time
        IDEMPOTENCY_KEY_REUSED  the caller used the key before for a different response

A refused response writes nothing.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OfferResponseError", "OfferResponseErrorCode"]


class OfferResponseErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


class OfferResponseError(Exception):
    """A refused offer response; ``field`` names the offending argument (snake_case)."""

    def __init__(
        self, code: OfferResponseErrorCode, message: str, *, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
