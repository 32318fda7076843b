"""The next-best-product offers of a page of customers, scored in one batch."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from c360.graphql.db import RequestDatabase
from c360.graphql.loaders.base import ParentArgsLoader
from c360.recommend.service import Offer, Recommender

__all__ = ["OffersByCustomerIdLoader"]


class OffersByCustomerIdLoader(ParentArgsLoader[int, list[Offer]]):
    """Keys are (customer id, how many offers); one pipeline run per page and ``first``."""

    def __init__(self, db: RequestDatabase, recommender: Recommender) -> None:
        super().__init__(db)
        self.recommender = recommender

    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: int
    ) -> list[list[Offer]]:
        offers = await self.recommender.recommend(conn, customer_ids=parent_ids, first=args)
        return [offers.get(customer_id, []) for customer_id in parent_ids]
