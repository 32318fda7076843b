"""Authentication of HTTP requests (placeholder until tokens land: refuses everyone)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from c360.auth.principal import Principal
from c360.settings import Settings

__all__ = ["AuthenticationError", "bearer_authenticator"]


class AuthenticationError(Exception):
    public_message = "Authentication required: send a valid bearer token."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def bearer_authenticator(
    *, engine: AsyncEngine, settings: Settings
) -> Callable[[Request], Awaitable[Principal]]:
    async def authenticate(request: Request) -> Principal:
        raise AuthenticationError("missing")

    return authenticate
