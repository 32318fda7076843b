"""The domain enums, registered once as GraphQL enums (by member name, e.g. ``IN_ARREARS``).

The domains define them and never import strawberry; registering here only attaches
strawberry's definition to the class.
"""

from __future__ import annotations

import strawberry

from c360.consent import models as consent
from c360.customers import models as customers
from c360.customers.digest import CustomerFlag as _CustomerFlag
from c360.customers.listing import CustomerOrderField as _CustomerOrderField
from c360.customers.listing import SortDirection as _SortDirection
from c360.customers.search import MatchKind
from c360.holdings import models as holdings
from c360.interactions import models as interactions
from c360.loyalty import models as loyalty
from c360.warranty import models as warranty

PartyType = strawberry.enum(customers.PartyType)
CustomerStatus = strawberry.enum(customers.CustomerStatus)
Segment = strawberry.enum(customers.Segment)
Education = strawberry.enum(customers.Education)
IncomeBand = strawberry.enum(customers.IncomeBand)
Channel = strawberry.enum(customers.Channel)
ContactKind = strawberry.enum(customers.ContactKind)
ProductCategory = strawberry.enum(holdings.ProductCategory)
HoldingRole = strawberry.enum(holdings.HoldingRole)
HoldingStatus = strawberry.enum(holdings.HoldingStatus)
LedgerEntryKind = strawberry.enum(loyalty.LedgerEntryKind)
LoyaltyAccountStatus = strawberry.enum(loyalty.LoyaltyAccountStatus)
WarrantyKind = strawberry.enum(warranty.WarrantyKind)
WarrantyStatus = strawberry.enum(warranty.WarrantyStatus)
ClaimStatus = strawberry.enum(warranty.ClaimStatus)
ClaimDecision = strawberry.enum(warranty.ClaimDecision)
InteractionDirection = strawberry.enum(interactions.Direction, name="InteractionDirection")
TicketStatus = strawberry.enum(interactions.TicketStatus)
TicketPriority = strawberry.enum(interactions.TicketPriority)
ConsentPurpose = strawberry.enum(consent.ConsentPurpose)
CustomerFlag = strawberry.enum(
    _CustomerFlag,
    description=(
        "Things a teller should notice. VIP: the PRIVATE segment, or an active loyalty "
        "account in its program's top tier. OPEN_COMPLAINT: an open or pending ticket of "
        "HIGH or URGENT priority or whose subject says complaint. POINTS_EXPIRING: loyalty "
        "points expire within 90 days. NO_MARKETING_CONSENT: no current granted MARKETING "
        "consent. ARREARS: a holding in arrears. BIRTHDAY_SOON: a birthday within 7 days, "
        "today included. DORMANT: status DORMANT, or a customer for over a year with no "
        "interaction in the last 365 days."
    ),
)
SearchMatch = strawberry.enum(
    MatchKind, name="SearchMatch", description="What a search found a customer by."
)
CustomerOrderField = strawberry.enum(_CustomerOrderField)
SortDirection = strawberry.enum(_SortDirection)
