"""Loaders of warranty policies (with product columns) and claims (with currency)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row

from c360.graphql.loaders.base import ByIdLoader, ByParentIdLoader, DbLoader
from c360.warranty import repository


class WarrantyPoliciesByCustomerIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.policies_by_customer_ids)


class WarrantyPolicyByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.policies_by_ids)


class WarrantyClaimsByPolicyIdLoader(ByParentIdLoader):
    fetch = staticmethod(repository.claims_by_policy_ids)
    parent_key = "policy_id"


class WarrantyClaimByIdLoader(ByIdLoader):
    fetch = staticmethod(repository.claims_by_ids)


class WarrantyClaimsByCustomerIdLoader(DbLoader[int, None]):
    """Fills ``claims_by_policy_id`` with the claims of every policy of the customers.

    For the teller's view (``compiled.prefetch``): the claims then travel in the
    customer's own statement instead of waiting for the policies. Its own values are
    None; only the policy loader's cache is read.
    """

    def __init__(self, claims_by_policy_id: WarrantyClaimsByPolicyIdLoader) -> None:
        super().__init__(claims_by_policy_id.db)
        self.claims_by_policy_id = claims_by_policy_id

    async def batch_load_fn(self, customer_ids: list[int]) -> list[None]:
        async with self.db.connect() as conn:
            rows = await repository.claims_by_customer_ids(conn, customer_ids)
        claims: dict[int, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            found = claims[row.policy_key]  # a policy without claims: an empty list
            if row.id is not None:
                found.append(row)
        for policy_id, rows_of_policy in claims.items():
            self.claims_by_policy_id.prime(policy_id, rows_of_policy)
        return [None] * len(customer_ids)
