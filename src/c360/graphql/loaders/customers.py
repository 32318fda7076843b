"""Loaders of customers, contact points and attachments."""

from __future__ import annotations

from c360.customers import repository
from c360.graphql.loaders.base import ByIdLoader, ByParentIdLoader


class CustomerByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.customers_by_ids)


class ContactPointsByCustomerIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.contact_points_by_customer_ids)


class ContactPointByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.contact_points_by_ids)


class AttachmentsByCustomerIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.attachments_by_customer_ids)


class AttachmentByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.attachments_by_ids)
