"""Errors that c360 raises on purpose. Each carries a stable code that clients may rely on.

    C360Error                      base: a code and a message fit to show a client
    └── InvalidArgumentError       INVALID_ARGUMENT: an argument out of range or ill-formed
        ├── InvalidIdError         INVALID_ID: not a global id, or not one of the expected type
        └── InvalidCursorError     INVALID_CURSOR: not a cursor this list handed out

Anything else that escapes is a bug: the GraphQL layer masks it (code ``INTERNAL``) and
logs it with a correlation id. "Not found" is not an error: lookups return nothing.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "C360Error",
    "ErrorCode",
    "InvalidArgumentError",
    "InvalidCursorError",
    "InvalidIdError",
]


class ErrorCode(StrEnum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"


class C360Error(Exception):
    """An expected error: its message is written for the client and is shown as it is."""

    code: ErrorCode = ErrorCode.INVALID_ARGUMENT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgumentError(C360Error):
    code = ErrorCode.INVALID_ARGUMENT


class InvalidIdError(InvalidArgumentError):
    code = ErrorCode.INVALID_ID


class InvalidCursorError(InvalidArgumentError):
    code = ErrorCode.INVALID_CURSOR
