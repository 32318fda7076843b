"""Loaders of consents (each customer's whole history; the current state is derived)."""

from __future__ import annotations

from c360.consent import repository
from c360.graphql.loaders.base import ByIdLoader, ByParentIdLoader


class ConsentsByCustomerIdLoader(ByParentIdLoader):
    """Every consent row of a customer; ``current_consents`` picks the state from it."""

    fetch = staticmethod(repository.consents_by_customer_ids)


class ConsentByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.consents_by_ids)
