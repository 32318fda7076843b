"""Every relation's loader, built lazily and fresh for each request.

A request only pays for the loaders its query touches; within a request each loader
caches what it loaded, so a field that several parts of a query need (the summary and
the holdings list, say) is read once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from c360.customers.digest import POINTS_EXPIRY_WINDOW
from c360.customers.visibility import UNRESTRICTED, CustomerScope
from c360.graphql.db import RequestDatabase
from c360.graphql.loaders.audit import (
    AccessLogByCustomerIdLoader,
    AccessLogCountByCustomerIdLoader,
)
from c360.graphql.loaders.consent import ConsentByIdLoader, ConsentsByCustomerIdLoader
from c360.graphql.loaders.customer_history import (
    CustomerChangeCountByCustomerIdLoader,
    CustomerChangesByCustomerIdLoader,
    HistoryPage,
)
from c360.graphql.loaders.customers import (
    AttachmentByIdLoader,
    AttachmentsByCustomerIdLoader,
    ContactPointByIdLoader,
    ContactPointsByCustomerIdLoader,
    CustomerByIdLoader,
)
from c360.graphql.loaders.holdings import (
    HoldingByIdLoader,
    HoldingsByCustomerIdLoader,
    ProductByIdLoader,
)
from c360.graphql.loaders.interactions import (
    InteractionByIdLoader,
    InteractionPage,
    InteractionsByCustomerIdLoader,
    InteractionStatsByCustomerIdLoader,
    SupportTicketByIdLoader,
    SupportTicketsByCustomerIdLoader,
)
from c360.graphql.loaders.loyalty import (
    LedgerEntriesByAccountIdLoader,
    LedgerEntryByIdLoader,
    LedgerEntryCountByAccountIdLoader,
    LedgerPage,
    LoyaltyAccountByIdLoader,
    LoyaltyAccountsByCustomerIdLoader,
    PointsExpiringSoonByAccountIdLoader,
    PointsExpiringSoonByCustomerIdLoader,
)
from c360.graphql.loaders.recommend import OffersByCustomerIdLoader
from c360.graphql.loaders.warranty import (
    WarrantyClaimByIdLoader,
    WarrantyClaimsByCustomerIdLoader,
    WarrantyClaimsByPolicyIdLoader,
    WarrantyPoliciesByCustomerIdLoader,
    WarrantyPolicyByIdLoader,
)
from c360.recommend.service import Recommender

__all__ = ["HistoryPage", "InteractionPage", "LedgerPage", "Loaders"]


@dataclass(kw_only=True)
class Loaders:
    db: RequestDatabase
    now: dt.datetime
    recommender: Recommender | None = None
    # The customers the caller may see: every customer read starts from this loader
    # or from a statement with the same condition, so rows outside it never load.
    scope: CustomerScope = UNRESTRICTED
    # Personal data in clear (the caller holds customer:pii); masked otherwise.
    shows_pii: bool = False
    # The customers whose data this request read, for the access audit.
    read_customer_ids: set[int] = field(default_factory=set)

    # customers
    @cached_property
    def customer_by_id(self) -> CustomerByIdLoader:
        return CustomerByIdLoader(self.db, scope=self.scope)

    @cached_property
    def contact_points_by_customer_id(self) -> ContactPointsByCustomerIdLoader:
        return ContactPointsByCustomerIdLoader(self.db)

    @cached_property
    def contact_point_by_id(self) -> ContactPointByIdLoader:
        return ContactPointByIdLoader(self.db)

    @cached_property
    def attachments_by_customer_id(self) -> AttachmentsByCustomerIdLoader:
        return AttachmentsByCustomerIdLoader(self.db)

    @cached_property
    def attachment_by_id(self) -> AttachmentByIdLoader:
        return AttachmentByIdLoader(self.db)

    @cached_property
    def customer_changes_by_customer_id(self) -> CustomerChangesByCustomerIdLoader:
        return CustomerChangesByCustomerIdLoader(self.db)

    @cached_property
    def customer_change_count_by_customer_id(self) -> CustomerChangeCountByCustomerIdLoader:
        return CustomerChangeCountByCustomerIdLoader(self.db)

    # holdings
    @cached_property
    def holdings_by_customer_id(self) -> HoldingsByCustomerIdLoader:
        return HoldingsByCustomerIdLoader(self.db)

    @cached_property
    def holding_by_id(self) -> HoldingByIdLoader:
        return HoldingByIdLoader(self.db)

    @cached_property
    def product_by_id(self) -> ProductByIdLoader:
        return ProductByIdLoader(self.db)

    # loyalty
    @cached_property
    def loyalty_accounts_by_customer_id(self) -> LoyaltyAccountsByCustomerIdLoader:
        return LoyaltyAccountsByCustomerIdLoader(self.db)

    @cached_property
    def loyalty_account_by_id(self) -> LoyaltyAccountByIdLoader:
        return LoyaltyAccountByIdLoader(self.db)

    @cached_property
    def ledger_entries_by_account_id(self) -> LedgerEntriesByAccountIdLoader:
        return LedgerEntriesByAccountIdLoader(self.db)

    @cached_property
    def ledger_entry_count_by_account_id(self) -> LedgerEntryCountByAccountIdLoader:
        return LedgerEntryCountByAccountIdLoader(self.db)

    @cached_property
    def points_expiring_soon_by_account_id(self) -> PointsExpiringSoonByAccountIdLoader:
        return PointsExpiringSoonByAccountIdLoader(
            self.db, now=self.now, window=POINTS_EXPIRY_WINDOW
        )

    @cached_property
    def points_expiring_soon_by_customer_id(self) -> PointsExpiringSoonByCustomerIdLoader:
        return PointsExpiringSoonByCustomerIdLoader(self.points_expiring_soon_by_account_id)

    @cached_property
    def ledger_entry_by_id(self) -> LedgerEntryByIdLoader:
        return LedgerEntryByIdLoader(self.db)

    # warranty
    @cached_property
    def warranty_policies_by_customer_id(self) -> WarrantyPoliciesByCustomerIdLoader:
        return WarrantyPoliciesByCustomerIdLoader(self.db)

    @cached_property
    def warranty_policy_by_id(self) -> WarrantyPolicyByIdLoader:
        return WarrantyPolicyByIdLoader(self.db)

    @cached_property
    def warranty_claims_by_policy_id(self) -> WarrantyClaimsByPolicyIdLoader:
        return WarrantyClaimsByPolicyIdLoader(self.db)

    @cached_property
    def warranty_claims_by_customer_id(self) -> WarrantyClaimsByCustomerIdLoader:
        return WarrantyClaimsByCustomerIdLoader(self.warranty_claims_by_policy_id)

    @cached_property
    def warranty_claim_by_id(self) -> WarrantyClaimByIdLoader:
        return WarrantyClaimByIdLoader(self.db)

    # interactions and tickets
    @cached_property
    def interactions_by_customer_id(self) -> InteractionsByCustomerIdLoader:
        return InteractionsByCustomerIdLoader(self.db)

    @cached_property
    def interaction_stats_by_customer_id(self) -> InteractionStatsByCustomerIdLoader:
        return InteractionStatsByCustomerIdLoader(self.db)

    @cached_property
    def interaction_by_id(self) -> InteractionByIdLoader:
        return InteractionByIdLoader(self.db)

    @cached_property
    def support_tickets_by_customer_id(self) -> SupportTicketsByCustomerIdLoader:
        return SupportTicketsByCustomerIdLoader(self.db)

    @cached_property
    def support_ticket_by_id(self) -> SupportTicketByIdLoader:
        return SupportTicketByIdLoader(self.db)

    # consent
    @cached_property
    def consents_by_customer_id(self) -> ConsentsByCustomerIdLoader:
        return ConsentsByCustomerIdLoader(self.db)

    @cached_property
    def consent_by_id(self) -> ConsentByIdLoader:
        return ConsentByIdLoader(self.db)

    # access audit
    @cached_property
    def access_log_by_customer_id(self) -> AccessLogByCustomerIdLoader:
        return AccessLogByCustomerIdLoader(self.db)

    @cached_property
    def access_log_count_by_customer_id(self) -> AccessLogCountByCustomerIdLoader:
        return AccessLogCountByCustomerIdLoader(self.db)

    # recommendations
    @cached_property
    def offers_by_customer_id(self) -> OffersByCustomerIdLoader:
        # Without a recommender (no model directory configured) there is nothing to offer.
        return OffersByCustomerIdLoader(
            self.db, self.recommender or Recommender.from_model_dir(), now=self.now
        )
