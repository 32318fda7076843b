"""Rate limiting of ``/graphql`` requests: the budget check and the 429 answer.

The HTTP app spends one request of the principal's budget (``sub:<subject>``, the same
key in every worker) or, for a request that failed authentication, of its client
address's budget (``ip:<address>``), so that guessing tokens is slow too.

Every response of a limited key carries ``RateLimit-Limit`` and ``RateLimit-Remaining``
(the IETF draft's names); a refused one is HTTP 429 with ``Retry-After`` in whole seconds
(at least 1), ``RateLimit-Reset`` and a GraphQL-shaped body, ``extensions.code``
``RATE_LIMITED``.
"""

from __future__ import annotations

import math

import orjson
from starlette.responses import Response

from c360.graphql.errors import ApiErrorCode, request_error
from c360.ratelimit import Decision, RateLimiter

__all__ = ["HttpRateLimit"]


class HttpRateLimit:
    """A ``RateLimiter`` applied to HTTP requests (``limiter`` None: nothing is limited)."""

    def __init__(self, limiter: RateLimiter | None) -> None:
        self.limiter = limiter

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
