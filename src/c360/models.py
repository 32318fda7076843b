"""Every domain's tables, imported in one place so ``Base.metadata`` knows them all."""

from c360.audit.models import AccessLogEntry
from c360.auth.models import ApiToken
from c360.consent.models import Consent, Partner
from c360.customers.history import CustomerChange
from c360.customers.models import Attachment, ContactPoint, Customer
from c360.database import Base
from c360.holdings.models import Holding, Product
from c360.identity.models import SourceRecord
from c360.interactions.models import Interaction, SupportTicket
from c360.loyalty.models import LoyaltyAccount, LoyaltyLedgerEntry, LoyaltyProgram, LoyaltyTier
from c360.recommend.models import OfferResponse
from c360.warranty.models import WarrantyClaim, WarrantyPolicy

__all__ = [
    "AccessLogEntry",
    "ApiToken",
    "Attachment",
    "Base",
    "Consent",
    "ContactPoint",
    "Customer",
    "CustomerChange",
    "Holding",
    "Interaction",
    "LoyaltyAccount",
    "LoyaltyLedgerEntry",
    "LoyaltyProgram",
    "LoyaltyTier",
    "OfferResponse",
    "Partner",
    "Product",
    "SourceRecord",
    "SupportTicket",
    "WarrantyClaim",
    "WarrantyPolicy",
]
