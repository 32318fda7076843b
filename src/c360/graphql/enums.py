"""The domain enums, registered once as GraphQL enums (by member name, e.g. ``IN_ARREARS``).

The domains define them and never import strawberry; registering here only attaches
strawberry's definition to the class, so the GraphQL modules annotate with the domain
classes themselves (re-exported here).
"""

from __future__ import annotations

import strawberry

from c360.consent.models import ConsentPurpose
from c360.customers.digest import CustomerFlag
from c360.customers.listing import CustomerOrderField, SortDirection
from c360.customers.models import (
    Channel,
    ContactKind,
    CustomerStatus,
    Education,
    IncomeBand,
    PartyType,
    Segment,
)
from c360.customers.search import MatchKind as SearchMatch
from c360.holdings.models import HoldingRole, HoldingStatus, ProductCategory
from c360.interactions.models import Direction as InteractionDirection
from c360.interactions.models import TicketPriority, TicketStatus
from c360.loyalty.models import LedgerEntryKind, LoyaltyAccountStatus
from c360.warranty.models import ClaimDecision, ClaimStatus, WarrantyKind, WarrantyStatus

__all__ = [
    "Channel",
    "ClaimDecision",
    "ClaimStatus",
    "ConsentPurpose",
    "ContactKind",
    "CustomerFlag",
    "CustomerOrderField",
    "CustomerStatus",
    "Education",
    "HoldingRole",
    "HoldingStatus",
    "IncomeBand",
    "InteractionDirection",
    "LedgerEntryKind",
    "LoyaltyAccountStatus",
    "PartyType",
    "ProductCategory",
    "SearchMatch",
    "Segment",
    "SortDirection",
    "TicketPriority",
    "TicketStatus",
    "WarrantyKind",
    "WarrantyStatus",
]

for _enum in (
    Channel,
    ClaimDecision,
    ClaimStatus,
    ConsentPurpose,
    ContactKind,
    CustomerOrderField,
    CustomerStatus,
    Education,
    HoldingRole,
    HoldingStatus,
    IncomeBand,
    LedgerEntryKind,
    LoyaltyAccountStatus,
    PartyType,
    ProductCategory,
    Segment,
    SortDirection,
    TicketPriority,
    TicketStatus,
    WarrantyKind,
    WarrantyStatus,
):
    strawberry.enum(_enum)

strawberry.enum(InteractionDirection, name="InteractionDirection")
strawberry.enum(
    CustomerFlag,
    description=(
        "Things a teller should notice. "
        "VIP: the PRIVATE segment, or an active loyalty account in its program's top tier. "
        "OPEN_COMPLAINT: an open or pending ticket of HIGH or URGENT priority or whose "
        "subject says complaint. POINTS_EXPIRING: loyalty points expire within 90 days. "
        "NO_MARKETING_CONSENT: no current granted MARKETING consent. ARREARS: a holding in "
        "arrears. BIRTHDAY_SOON: a birthday within 7 days, today included. DORMANT: status "
        "DORMANT, or a customer for over a year with no interaction in the last 365 days."
    ),
)
strawberry.enum(SearchMatch, name="SearchMatch", description="What a search found a customer by.")
