"""The typed per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from strawberry import Info

from c360.auth.principal import Principal
from c360.graphql.db import RequestDatabase
from c360.graphql.loaders import Loaders
from c360.recommend.service import Recommender
from c360.settings import Settings

__all__ = ["Context", "GraphQLInfo"]


@dataclass(slots=True, kw_only=True)
class Context:
    settings: Settings
    db: RequestDatabase
    loaders: Loaders
    # The request's clock: every "soon" and "recent" rule in one response uses this instant.
    now: dt.datetime
    request: Request | None = None
    principal: Principal | None = None
    # A websocket's connection_init payload (strawberry fills it in): credentials go here.
    connection_params: dict[str, object] | None = None
    # Lookups done once per request, e.g. the national-id hashing key.
    secret_key: str = field(default="", repr=False)

    async def customer_visible(self, customer_id: int) -> bool:
        """Whether the principal may see (and so write to) this customer.

        Every mutation and subscription asks this before touching a customer and answers
        an invisible customer exactly as a missing one. Row scoping (partner consent,
        the customer itself, a teller's branch) is decided here.
        """
        return True

    @classmethod
    def for_request(
        cls,
        *,
        engine: AsyncEngine,
        settings: Settings,
        request: Request | None = None,
        recommender: Recommender | None = None,
    ) -> Context:
        db = RequestDatabase(engine)
        now = dt.datetime.now(dt.UTC)
        return cls(
            settings=settings,
            db=db,
            loaders=Loaders(db=db, now=now, recommender=recommender),
            now=now,
            request=request,
            secret_key=settings.secret_key.get_secret_value(),
        )


GraphQLInfo: TypeAlias = Info[Context, None]
