"""From an ``Authorization`` header to a ``Principal``: the one entry point of the HTTP layer.

    Authorization: Bearer c360_...        an opaque token (c360.auth.tokens)
    Authorization: Bearer xxxxx.yyyyy.zz  a JWT, when a key set is configured (c360.auth.jwt)

Anything else, or nothing, raises ``AuthenticationError``: answer HTTP 401 with
``error.message`` and the header ``WWW-Authenticate: error.www_authenticate``. Each
refusal is logged here once (logger ``c360.auth``, INFO) with its reason and detail,
never with the credentials.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from c360.auth.errors import AuthenticationError, AuthFailure
from c360.auth.jwt import jwt_verifier, verify_jwt
from c360.auth.principal import Principal
from c360.auth.tokens import TOKEN_PREFIX, verify_token
from c360.settings import Settings

__all__ = ["authenticate", "bearer_authenticator"]

log = logging.getLogger("c360.auth")

# Far above any real token or JWT; a longer header is refused before any parsing.
MAX_CREDENTIALS_LENGTH = 8192


async def authenticate(
    authorization: str | None,
    *,
    engine: AsyncEngine,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Principal:
    """The principal the ``Authorization`` header proves, or ``AuthenticationError``."""
    try:
        return await _authenticate(authorization, engine=engine, settings=settings, now=now)
    except AuthenticationError as error:
        log.info("authentication refused: %s (%s)", error.reason.value, error.detail)
        raise


async def _authenticate(
    authorization: str | None, *, engine: AsyncEngine, settings: Settings, now: dt.datetime | None
) -> Principal:
    credentials = _bearer_credentials(authorization)
    if credentials.startswith(TOKEN_PREFIX):
        return await verify_token(
            credentials,
            engine=engine,
            secret_key=settings.secret_key.get_secret_value(),
            now=now,
            cache_seconds=settings.token_cache_seconds,
        )
    if credentials.count(".") == 2:
        verifier = jwt_verifier(settings)
        if verifier is None:
            raise AuthenticationError(AuthFailure.INVALID, "a JWT, but no key set is configured")
        return await verify_jwt(
            credentials,
            verifier=verifier,
            engine=engine,
            cache_seconds=settings.token_cache_seconds,
        )
    raise AuthenticationError(AuthFailure.MALFORMED, "neither a c360 token nor a JWT")


def _bearer_credentials(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise AuthenticationError(AuthFailure.MISSING, "no Authorization header")
    if len(authorization) > MAX_CREDENTIALS_LENGTH:
        raise AuthenticationError(AuthFailure.MALFORMED, "Authorization header too long")
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    # RFC 7235: the scheme is case-insensitive; a bearer token has no spaces (RFC 6750).
    if scheme.lower() != "bearer":
        raise AuthenticationError(AuthFailure.MALFORMED, "not a Bearer authorization")
    if not credentials or any(c.isspace() for c in credentials):
        raise AuthenticationError(AuthFailure.MALFORMED, "Bearer without one token")
    return credentials


def bearer_authenticator(
    *, engine: AsyncEngine, settings: Settings
) -> Callable[[Request], Awaitable[Principal]]:
    """``authenticate`` bound to an engine and settings, for the HTTP app."""
    # Load the key set now, so a bad one fails at startup and not on the first request.
    jwt_verifier(settings)

    async def authenticate_request(request: Request) -> Principal:
        return await authenticate(
            request.headers.get("authorization"), engine=engine, settings=settings
        )

    return authenticate_request
