"""Rate limiting of ``/graphql`` requests: whose budget a request spends, and the 429 answer.

Every response of a limited key carries ``RateLimit-Limit`` and ``RateLimit-Remaining``
(the IETF draft's names); a refused one is HTTP 429 with ``Retry-After`` in whole seconds
(at least 1), ``RateLimit-Reset`` and a GraphQL-shaped body, ``extensions.code``
``RATE_LIMITED``.
"""

from __future__ import annotations

import hashlib
import hmac
import math

import orjson
from starlette.requests import Request
from starlette.responses import Response

from c360.graphql.errors import ApiErrorCode, request_error
from c360.ratelimit import Decision, RateLimiter

__all__ = ["HttpRateLimit"]


class HttpRateLimit:
    """A ``RateLimiter`` applied to HTTP requests (``limiter`` None: nothing is limited)."""

    def __init__(self, limiter: RateLimiter | None, *, secret_key: str) -> None:
        self.limiter = limiter
        self._secret = secret_key.encode()

    def key(self, request: Request) -> str:
        """The bearer of the request's ``Authorization``, else its client address.

        A keyed hash, so that no credential reaches Redis or a memory dump in clear.
        """
        authorization = request.headers.get("authorization")
        if authorization:
            digest = hmac.new(self._secret, authorization.encode(), hashlib.sha256)
            return "auth:" + digest.hexdigest()[:32]
        return "ip:" + (request.client.host if request.client else "unknown")

    async def check(self, key: str, *, limit: int | None = None) -> Decision | None:
        """Spends one request of ``key``'s budget; None when rate limiting is off."""
        if self.limiter is None:
            return None
        return await self.limiter.hit(key, limit=limit)

    @staticmethod
    def refusal(decision: Decision) -> Response:
        retry_after = str(max(1, math.ceil(decision.retry_after)))
        error = request_error(
            f"Too many requests: at most {decision.limit} in the window; retry in {retry_after} s.",
            ApiErrorCode.RATE_LIMITED,
        )
        response = Response(
            orjson.dumps({"errors": [error]}), status_code=429, media_type="application/json"
        )
        response.headers["Retry-After"] = retry_after
        response.headers["RateLimit-Reset"] = retry_after
        HttpRateLimit.annotate(response, decision)
        return response

    @staticmethod
    def annotate(response: Response, decision: Decision | None) -> None:
        if decision is not None:
            response.headers["RateLimit-Limit"] = str(decision.limit)
            response.headers["RateLimit-Remaining"] = str(decision.remaining)
