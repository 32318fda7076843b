"""Why a warranty write was refused. Each refusal carries a stable code and the input field.

    WarrantyError                  base: a code, a message fit to show a client, a field path
        CUSTOMER_NOT_FOUND         no customer with that id (or one the caller may not see)
        PRODUCT_NOT_FOUND          no catalogue product with that id
        POLICY_NOT_FOUND           no policy with that id (or one the caller may not see)
        CLAIM_NOT_FOUND            no claim with that id (or one the caller may not see)
        INVALID_INPUT              a string empty or too long, a naive or future time, a bad
                                   currency code, an amount negative, above the maximum or
                                   with more than two decimals
        INVALID_DATES              dates out of order: purchase > start, start >= end, or a
                                   coverage longer than the maximum
        DUPLICATE_POLICY           the customer has a policy of this kind on this device
                                   (manufacturer and serial number) whose coverage overlaps
        POLICY_NOT_ACTIVE          the policy was cancelled
        OUTSIDE_COVERAGE           the defect was reported outside the coverage period
        CLAIM_ALREADY_OPEN         the policy has a claim that is not decided yet
        CLAIM_NOT_OPEN             the claim was decided already
        AMOUNT_REQUIRED            an approval (repair, replace, refund) without an amount
        AMOUNT_NOT_ALLOWED         a rejection with an amount
        AMOUNT_EXCEEDS_COVERAGE    more than the coverage value left on the policy

A refused write writes nothing: its transaction is rolled back.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["WarrantyError", "WarrantyErrorCode"]


class WarrantyErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    POLICY_NOT_FOUND = "POLICY_NOT_FOUND"
    CLAIM_NOT_FOUND = "CLAIM_NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_DATES = "INVALID_DATES"
    DUPLICATE_POLICY = "DUPLICATE_POLICY"
    POLICY_NOT_ACTIVE = "POLICY_NOT_ACTIVE"
    OUTSIDE_COVERAGE = "OUTSIDE_COVERAGE"
    CLAIM_ALREADY_OPEN = "CLAIM_ALREADY_OPEN"
    CLAIM_NOT_OPEN = "CLAIM_NOT_OPEN"
    AMOUNT_REQUIRED = "AMOUNT_REQUIRED"
    AMOUNT_NOT_ALLOWED = "AMOUNT_NOT_ALLOWED"
    AMOUNT_EXCEEDS_COVERAGE = "AMOUNT_EXCEEDS_COVERAGE"


class WarrantyError(Exception):
    """A refused warranty write; ``field`` names the offending argument (snake_case)."""

    def __init__(self, code: WarrantyErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
