"""``Customer.history``: who changed which field of a profile or contact point, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.graphql.ids import encode_id
from c360.graphql.loaders import HistoryPage, Loaders
from c360.graphql.pagination import (
    Connection,
    build_connection,
    decode_position_cursor,
    encode_position_cursor,
    page_size,
)

__all__ = ["CustomerChange", "history_of"]

_HISTORY_CURSOR = "history"


@strawberry.type(
    description=(
        "One field's change. Values are as the API shows them (enums by name, dates in ISO "
        "format, lists as JSON); a national id only as *** and its last four characters."
    )
)
class CustomerChange:
    field: str = strawberry.field(
        description=(
            "The field: `familyName`, or `contactPoints[<contact point id>].value` for a "
            "contact point's."
        )
    )
    old_value: str | None = strawberry.field(description="Null when the field had no value.")
    new_value: str | None = strawberry.field(description="Null when the field was cleared.")
    actor: str = strawberry.field(description="Who made the change.")
    via: str = strawberry.field(description="The mutation or source system that made it.")
    changed_at: dt.datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> CustomerChange:
        field = row.field
        if row.contact_point_id is not None:
            field = f"contactPoints[{encode_id('ContactPoint', row.contact_point_id)}].{field}"
        return cls(
            field=field,
            old_value=row.old_value,
            new_value=row.new_value,
            actor=row.actor,
            via=row.via,
            changed_at=row.changed_at,
        )


async def history_of(
    loaders: Loaders, customer_id: int, *, first: int | None, after: str | None
) -> Connection[CustomerChange]:
    limit = page_size(first)
    position = None if after is None else decode_position_cursor(_HISTORY_CURSOR, after)
    rows = await loaders.customer_changes_by_customer_id.load(
        (customer_id, HistoryPage(limit=limit + 1, after=position))
    )

    async def count() -> int:
        return await loaders.customer_change_count_by_customer_id.load(customer_id)

    return build_connection(
        rows,
        limit=limit,
        node=CustomerChange.from_row,
        cursor=lambda row: encode_position_cursor(_HISTORY_CURSOR, row.changed_at, row.id),
        after=after,
        count=count,
    )
