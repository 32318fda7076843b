"""Why a caller was not let in, and why a token could not be issued.

    AuthenticationError            code UNAUTHENTICATED: no usable credentials (HTTP 401)
        reason MISSING             no Authorization header, or an empty one
        reason MALFORMED           not ``Bearer <credentials>``, or credentials of no known shape
        reason INVALID             unknown token, bad signature, wrong issuer or audience...
        reason EXPIRED             past its expiry (JWT: past ``exp`` plus the leeway)
        reason REVOKED             an opaque token revoked with ``c360 token revoke``
    TokenError                     a token could not be issued or revoked; a code per cause

What the client is told: ``AuthenticationError.message`` never says whether a token
exists. An unknown, expired or revoked opaque token all read "invalid, expired or
revoked bearer token", so the 401 cannot be used to probe which strings are (or were)
tokens. ``reason`` and ``detail`` (the token id, the JWT check that failed) are for the
server log and the access audit, never for the response. Neither ever holds the token.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuthFailure", "AuthenticationError", "TokenError", "TokenErrorCode"]


class AuthFailure(StrEnum):
    MISSING = "missing"
    MALFORMED = "malformed"
    INVALID = "invalid"
    EXPIRED = "expired"
    REVOKED = "revoked"


_CLIENT_MESSAGES = {
    AuthFailure.MISSING: "authentication required: send Authorization: Bearer <token>",
    AuthFailure.MALFORMED: "malformed Authorization header: expected Bearer <token>",
    AuthFailure.INVALID: "invalid, expired or revoked bearer token",
    AuthFailure.EXPIRED: "invalid, expired or revoked bearer token",
    AuthFailure.REVOKED: "invalid, expired or revoked bearer token",
}


class AuthenticationError(Exception):
    """The request carries no credentials c360 accepts: answer HTTP 401.

    ``message`` is fit for the client; ``reason`` and ``detail`` are for the log.
    ``www_authenticate`` is the RFC 6750 challenge to send with the 401.
    """

    code = "UNAUTHENTICATED"

    def __init__(self, reason: AuthFailure, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail or reason.value
        self.message = _CLIENT_MESSAGES[reason]
        super().__init__(self.message)

    @property
    def www_authenticate(self) -> str:
        if self.reason is AuthFailure.MISSING:
            return 'Bearer realm="c360"'
        error = "invalid_request" if self.reason is AuthFailure.MALFORMED else "invalid_token"
        return f'Bearer realm="c360", error="{error}"'

    def __repr__(self) -> str:
        return f"AuthenticationError(reason={self.reason.value!r}, detail={self.detail!r})"


class TokenErrorCode(StrEnum):
    INVALID_ROLE = "INVALID_ROLE"
    INVALID_SCOPES = "INVALID_SCOPES"
    PARTNER_REQUIRED = "PARTNER_REQUIRED"
    PARTNER_NOT_FOUND = "PARTNER_NOT_FOUND"
    CUSTOMER_REQUIRED = "CUSTOMER_REQUIRED"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    NOT_ALLOWED_FOR_ROLE = "NOT_ALLOWED_FOR_ROLE"
    INVALID_INPUT = "INVALID_INPUT"
    TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND"


class TokenError(Exception):
    """A token request refused; ``field`` names the offending argument."""

    def __init__(self, code: TokenErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
