"""GraphQL types of loyalty accounts, tiers and the points ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.graphql.common import Node, row_column, row_global_id
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import LedgerEntryKind, LoyaltyAccountStatus
from c360.graphql.ids import encode_id
from c360.graphql.loaders import LedgerPage, Loaders
from c360.graphql.pagination import (
    Connection,
    build_connection,
    decode_position_cursor,
    encode_position_cursor,
    page_size,
)
from c360.graphql.permissions import requires

__all__ = ["LedgerEntry", "LoyaltyAccount", "load_ledger_entry", "load_loyalty_account"]

_LEDGER_CURSOR = "ledger"


@strawberry.type
class LoyaltyProgram:
    code: str
    name: str
    points_validity_months: int = strawberry.field(
        description="Earned points expire this many months after they were earned."
    )


@strawberry.type
class LoyaltyTier:
    code: str
    name: str
    rank: int = strawberry.field(description="0 is the entry tier.")
    threshold_points: int = strawberry.field(
        description="Points earned in the last 12 months needed to qualify."
    )
    is_top: bool = strawberry.field(description="The highest tier of its program.")


@strawberry.type(
    directives=requires(Scope.LOYALTY_READ),
    description="One movement of points: earned, redeemed, expired, adjusted.",
)
class LedgerEntry(Node):
    kind: LedgerEntryKind
    points: int = strawberry.field(description="Signed: earned > 0, redeemed and expired < 0.")
    remaining_points: int | None = strawberry.field(
        description="On earned lots: what is left after redemptions and expiries used it."
    )
    occurred_at: dt.datetime
    expires_at: dt.datetime | None
    reason: str
    source_ref: str | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> LedgerEntry:
        return cls(
            id=strawberry.ID(encode_id("LedgerEntry", row.id)),
            kind=row.kind,
            points=row.points,
            remaining_points=row.remaining_points,
            occurred_at=row.occurred_at,
            expires_at=row.expires_at,
            reason=row.reason,
            source_ref=row.source_ref,
            created_at=row.created_at,
        )


@strawberry.type(
    directives=requires(Scope.LOYALTY_READ),
    description="A customer's membership of a loyalty program.",
)
class LoyaltyAccount(Node):
    member_number: str
    status: LoyaltyAccountStatus
    enrolled_at: dt.datetime
    program: LoyaltyProgram
    tier: LoyaltyTier
    points_balance: int = strawberry.field(description="Equals the sum of the ledger.")
    lifetime_points: int
    _pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row[Any]) -> LoyaltyAccount:
        return _LoyaltyAccountRow(row)

    @strawberry.field(
        description="Points on lots that expire within the next 90 days (not yet expired)."
    )
    async def points_expiring_soon(self, info: GraphQLInfo) -> int | None:
        return await info.context.loaders.points_expiring_soon_by_account_id.load(self._pk)

    @strawberry.field(description="The points ledger, newest first.")
    async def ledger(
        self, info: GraphQLInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[LedgerEntry] | None:
        limit = page_size(first)
        position = None if after is None else decode_position_cursor(_LEDGER_CURSOR, after)
        loaders = info.context.loaders
        rows = await loaders.ledger_entries_by_account_id.load(
            (self._pk, LedgerPage(limit=limit + 1, after=position))
        )

        async def count() -> int:
            return await loaders.ledger_entry_count_by_account_id.load(self._pk)

        return build_connection(
            rows,
            limit=limit,
            node=LedgerEntry.from_row,
            cursor=lambda row: encode_position_cursor(_LEDGER_CURSOR, row.occurred_at, row.id),
            after=after,
            count=count,
        )


class _LoyaltyAccountRow(LoyaltyAccount):
    """A ``LoyaltyAccount`` that reads its row when a field asks (``row_column``)."""

    def __init__(self, row: Row[Any]) -> None:  # no dataclass init
        self._row = row
        self._pk = row.id

    id = row_global_id("LoyaltyAccount")
    member_number = row_column("member_number")
    status = row_column("status")
    enrolled_at = row_column("enrolled_at")
    program = property(
        lambda self: LoyaltyProgram(
            code=self._row.program_code,
            name=self._row.program_name,
            points_validity_months=self._row.program_points_validity_months,
        )
    )
    tier = property(lambda self: tier_of(self._row))
    points_balance = row_column("points_balance")
    lifetime_points = row_column("lifetime_points")


def tier_of(row: Row[Any]) -> LoyaltyTier:
    """The tier from the ``tier_*`` columns of an account row."""
    return LoyaltyTier(
        code=row.tier_code,
        name=row.tier_name,
        rank=row.tier_rank,
        threshold_points=row.tier_threshold_points,
        is_top=row.tier_rank == row.program_top_rank,
    )


async def load_loyalty_account(loaders: Loaders, pk: int) -> LoyaltyAccount | None:
    row = await loaders.loyalty_account_by_id.load(pk)
    return None if row is None else LoyaltyAccount.from_row(row)


async def load_ledger_entry(loaders: Loaders, pk: int) -> LedgerEntry | None:
    row = await loaders.ledger_entry_by_id.load(pk)
    return None if row is None else LedgerEntry.from_row(row)
