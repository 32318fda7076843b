"""The next-best-product offers of a page of customers, scored in one batch."""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Channel
from c360.graphql.db import RequestDatabase
from c360.graphql.loaders.base import ParentArgsLoader
from c360.recommend.service import Offer, Recommender

__all__ = ["OffersByCustomerIdLoader"]


OfferArgs: TypeAlias = tuple[int, Channel | None]


class OffersByCustomerIdLoader(ParentArgsLoader[OfferArgs, list[Offer]]):
    """Keys are (customer id, (how many offers, channel)); one pipeline run per page and
    argument set, reading the whole page's recent offer responses in one statement."""

    def __init__(self, db: RequestDatabase, recommender: Recommender, *, now: dt.datetime) -> None:
        super().__init__(db)
        self.recommender = recommender
        self.now = now  # the request's clock: suppression windows are measured from it

    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: OfferArgs
    ) -> list[list[Offer]]:
        first, channel = args
        offers = await self.recommender.recommend(
            conn, customer_ids=parent_ids, first=first, channel=channel, now=self.now
        )
        return [offers.get(customer_id, []) for customer_id in parent_ids]
