"""The teller's one-look digest of a customer (``Customer.summary``).

Every field reads through the same per-request loaders as the rest of the customer
view (all holdings, all tickets, loyalty accounts, the consent history, interaction
stats), so asking for the summary beside those lists costs no extra statement, and a
page of summaries costs the same statements as one. The rules live in
``c360.customers.digest``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.consent.repository import current_consents
from c360.customers import digest
from c360.graphql.common import Money
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import CustomerFlag
from c360.graphql.loaders import Loaders
from c360.graphql.loyalty import LoyaltyTier, tier_of
from c360.graphql.permissions import requires
from c360.interactions.repository import InteractionStats

__all__ = ["CustomerSummary"]


@strawberry.type
class ProductsHeld:
    count: int = strawberry.field(description="Holdings held (not closed or pending).")
    codes: list[str] = strawberry.field(description="The distinct product codes, sorted.")


@strawberry.type(
    description=(
        "What a teller needs at one look. Totals are per currency, ordered by currency "
        "code; holdings where the customer is only a guarantor are left out."
    )
)
class CustomerSummary:
    customer_since: dt.date
    _customer: strawberry.Private[Row[Any]]

    @strawberry.field(
        directives=requires(Scope.HOLDINGS_READ),
        description="Positive balances of ACTIVE deposit holdings.",
    )
    async def total_deposits(self, info: GraphQLInfo) -> list[Money]:
        return _money(digest.total_deposits(await self._holdings(info.context.loaders)))

    @strawberry.field(
        directives=requires(Scope.HOLDINGS_READ),
        description=(
            "Owed on held lending and card holdings and overdrawn accounts, as positive amounts."
        ),
    )
    async def total_debt(self, info: GraphQLInfo) -> list[Money]:
        return _money(digest.total_debt(await self._holdings(info.context.loaders)))

    @strawberry.field(directives=requires(Scope.HOLDINGS_READ))
    async def products_held(self, info: GraphQLInfo) -> ProductsHeld:
        held = digest.held(await self._holdings(info.context.loaders))
        return ProductsHeld(count=len(held), codes=sorted({h.product_code for h in held}))

    @strawberry.field(
        directives=requires(Scope.LOYALTY_READ),
        description="The tier of the customer's loyalty account (see Customer.loyalty).",
    )
    async def loyalty_tier(self, info: GraphQLInfo) -> LoyaltyTier | None:
        account = await self._loyalty_account(info.context.loaders)
        return None if account is None else tier_of(account)

    @strawberry.field(
        directives=requires(Scope.LOYALTY_READ),
        description="Null when the customer has no loyalty account.",
    )
    async def points_balance(self, info: GraphQLInfo) -> int | None:
        account = await self._loyalty_account(info.context.loaders)
        return None if account is None else account.points_balance

    @strawberry.field(
        directives=requires(Scope.WARRANTY_READ),
        description="ACTIVE policies whose cover has not ended.",
    )
    async def active_warranties(self, info: GraphQLInfo) -> int:
        loaders = info.context.loaders
        policies = await loaders.warranty_policies_by_customer_id.load(self._customer.id)
        return len(digest.active_warranties(policies, today=info.context.now.date()))

    @strawberry.field(
        directives=requires(Scope.INTERACTIONS_READ), description="Tickets OPEN or PENDING."
    )
    async def open_tickets(self, info: GraphQLInfo) -> int:
        return len(digest.open_tickets(await self._tickets(info.context.loaders)))

    @strawberry.field(
        directives=requires(Scope.INTERACTIONS_READ),
        description="When the latest interaction took place.",
    )
    async def last_contact_at(self, info: GraphQLInfo) -> dt.datetime | None:
        return (await self._interaction_stats(info.context.loaders)).last_at

    @strawberry.field(directives=requires(Scope.CUSTOMER_PII))
    async def flags(self, info: GraphQLInfo) -> list[CustomerFlag]:
        loaders = info.context.loaders
        holdings, accounts, tickets, history, stats = await asyncio.gather(
            self._holdings(loaders),
            loaders.loyalty_accounts_by_customer_id.load(self._customer.id),
            self._tickets(loaders),
            loaders.consents_by_customer_id.load(self._customer.id),
            self._interaction_stats(loaders),
        )
        expiring = await loaders.points_expiring_soon_by_account_id.load_many(
            [account.id for account in accounts]
        )
        facts = digest.CustomerFacts(
            customer=self._customer,
            holdings=holdings,
            loyalty_accounts=accounts,
            points_expiring_soon=sum(expiring),
            tickets=tickets,
            current_consents=current_consents(history),
            last_contact_at=stats.last_at,
        )
        return digest.customer_flags(facts, now=info.context.now)

    # The same keys as Customer.holdings / tickets / interactions without arguments,
    # so a query selecting both shares the loaded rows.
    async def _holdings(self, loaders: Loaders) -> list[Row[Any]]:
        return await loaders.holdings_by_customer_id.load((self._customer.id, None))

    async def _tickets(self, loaders: Loaders) -> list[Row[Any]]:
        return await loaders.support_tickets_by_customer_id.load((self._customer.id, None))

    async def _interaction_stats(self, loaders: Loaders) -> InteractionStats:
        return await loaders.interaction_stats_by_customer_id.load((self._customer.id, None))

    async def _loyalty_account(self, loaders: Loaders) -> Row[Any] | None:
        accounts = await loaders.loyalty_accounts_by_customer_id.load(self._customer.id)
        return digest.primary_loyalty_account(accounts)


def _money(amounts: list[digest.Amount]) -> list[Money]:
    return [Money(amount=a.amount, currency=a.currency) for a in amounts]
