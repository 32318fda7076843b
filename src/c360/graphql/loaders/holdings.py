"""Loaders of holdings (each with its product's columns) and products."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.graphql.loaders.base import ByIdLoader, ParentArgsLoader, group_by_parent
from c360.holdings import repository
from c360.holdings.models import HoldingStatus

# A holdings(status:) argument: None for every status.
StatusSet = frozenset[HoldingStatus] | None


class HoldingsByCustomerIdLoader(ParentArgsLoader[StatusSet, list[Row[Any]]]):
    async def fetch_for(
        self, conn: AsyncConnection, parent_ids: list[int], args: StatusSet
    ) -> list[list[Row[Any]]]:
        rows = await repository.holdings_by_customer_ids(conn, parent_ids, statuses=args)
        return group_by_parent(rows, parent_ids, "customer_id")


class HoldingByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.holdings_by_ids)


class ProductByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.products_by_ids)
