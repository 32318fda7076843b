"""``Customer.accessLog``: who read this customer's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from sqlalchemy import Row

from c360.auth.scopes import Scope
from c360.errors import InvalidCursorError
from c360.graphql.context import GraphQLInfo
from c360.graphql.loaders.audit import AccessLogPage
from c360.graphql.pagination import (
    Connection,
    build_connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from c360.graphql.permissions import requires

__all__ = ["AccessLogEntry", "access_log_of"]

_CURSOR = "access-log"


@strawberry.type(
    directives=requires(Scope.AUDIT_READ),
    description="One read of a customer's data through the API.",
)
class AccessLogEntry:
    accessed_at: dt.datetime
    subject: str = strawberry.field(
        description="Who: token:<id> for an API token, jwt:<issuer>#<subject> for a signed-in user."
    )
    role: str
    partner_code: str | None = strawberry.field(description="The partner, for a partner token.")
    field_groups: list[str] = strawberry.field(
        description="What was read: customer, pii, holdings, loyalty, warranty, interactions..."
    )
    operation_name: str | None
    operation_hash: str = strawberry.field(description="SHA-256 of the query text.")
    purpose: str | None = strawberry.field(description="The X-C360-Purpose the caller gave.")

    @classmethod
    def from_row(cls, row: Row[Any]) -> AccessLogEntry:
        return cls(
            accessed_at=row.accessed_at,
            subject=row.subject,
            role=row.role,
            partner_code=row.partner_code,
            field_groups=row.field_groups.split(),
            operation_name=row.operation_name,
            operation_hash=row.operation_hash,
            purpose=row.purpose,
        )


async def access_log_of(
    info: GraphQLInfo, customer_id: int, first: int | None, after: str | None
) -> Connection[AccessLogEntry]:
    limit = page_size(first)
    before_id = None if after is None else _decode(after)
    loaders = info.context.loaders
    rows = await loaders.access_log_by_customer_id.load(
        (customer_id, AccessLogPage(limit=limit + 1, before_id=before_id))
    )

    async def count() -> int:
        return await loaders.access_log_count_by_customer_id.load(customer_id)

    return build_connection(
        rows,
        limit=limit,
        node=AccessLogEntry.from_row,
        cursor=lambda row: encode_cursor(_CURSOR, row.id),
        after=after,
        count=count,
    )


def _decode(cursor: str) -> int:
    (row_id,) = decode_cursor(_CURSOR, cursor, 1)
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id < 2**63:
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}")
    return row_id
