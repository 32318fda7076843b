"""Loaders of customers, contact points and attachments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from c360.customers import repository
from c360.customers.visibility import CustomerScope
from c360.graphql.db import RequestDatabase
from c360.graphql.loaders.base import ByIdLoader, ByParentIdLoader, DbLoader


class CustomerByIdLoader(DbLoader[int, Row[Any] | None]):
    """Customers by id, limited in SQL to those the caller may see (None for the others)."""

    def __init__(self, db: RequestDatabase, *, scope: CustomerScope) -> None:
        super().__init__(db)
        self.scope = scope

    async def batch_load_fn(self, ids: list[int]) -> list[Row[Any] | None]:
        async with self.db.connect() as conn:
            rows = await repository.customers_by_ids(conn, ids, scope=self.scope)
        by_id = {row.id: row for row in rows}
        return [by_id.get(row_id) for row_id in ids]


class ContactPointsByCustomerIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.contact_points_by_customer_ids)


class ContactPointByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.contact_points_by_ids)


class AttachmentsByCustomerIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.attachments_by_customer_ids)


class AttachmentByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.attachments_by_ids)
