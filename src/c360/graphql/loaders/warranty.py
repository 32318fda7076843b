"""Loaders of warranty policies (with product columns) and claims (with currency)."""

from __future__ import annotations

from c360.graphql.loaders.base import ByIdLoader, ByParentIdLoader
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
