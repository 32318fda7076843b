"""Why an interaction or ticket write was refused. Each refusal carries a stable code and field.

    InteractionError               base: a code, a message fit to show a client, a field path
        CUSTOMER_NOT_FOUND         no customer with that id (or one the caller may not see)
        TICKET_NOT_FOUND           no ticket with that id (or one the caller may not see)
        HOLDING_NOT_FOUND          the holding named is not one of this customer's
        WARRANTY_POLICY_NOT_FOUND  the warranty policy named is not one of this customer's
        INVALID_INPUT              a string empty or too long, a naive or future time
        INVALID_TRANSITION         the ticket may not go from its status to the one asked
        TICKET_CLOSED              a closed ticket changes no more
        NOTHING_TO_UPDATE          an update that names no change

A refused write writes nothing: its transaction is rolled back.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["InteractionError", "InteractionErrorCode"]


class InteractionErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
    HOLDING_NOT_FOUND = "HOLDING_NOT_FOUND"
    WARRANTY_POLICY_NOT_FOUND = "WARRANTY_POLICY_NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    TICKET_CLOSED = "TICKET_CLOSED"
    NOTHING_TO_UPDATE = "NOTHING_TO_UPDATE"


class InteractionError(Exception):
    """A refused interaction or ticket write; ``field`` names the offending argument."""

    def __init__(
        self, code: InteractionErrorCode, message: str, *, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
