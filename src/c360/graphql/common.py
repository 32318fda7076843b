"""Types every domain module shares: the ``Node`` interface and ``Money``."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter
from typing import Any

import strawberry

from c360.graphql.ids import encode_id

__all__ = ["Money", "Node", "money", "row_column", "row_global_id"]


@strawberry.interface(
    description="An object with a global id, which `node(id:)` can fetch again later."
)
class Node:
    id: strawberry.ID = strawberry.field(description="An opaque global id.")


@strawberry.type(
    description=(
        "An exact amount of money. `amount` is a decimal string (never a float), so that "
        "no client rounds it; totals that span currencies are lists of one `Money` per currency."
    )
)
class Money:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. PLN.")


def money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)


def row_column(name: str) -> Any:
    """A read-only attribute that is column ``name`` of the object's ``_row``.

    For the lazy twins of row-built types (``Holding.from_row`` gives one): a page of
    customers carries hundreds of holdings, and a query reads a few of their fields, so
    each field is read from the row when asked instead of copied up front.
    """
    return property(attrgetter(f"_row.{name}"))


def row_global_id(type_name: str, attribute: str = "_row.id") -> Any:
    """A read-only ``id``: the global id of ``type_name`` for the object's ``attribute``."""
    primary_key = attrgetter(attribute)
    return property(lambda self: strawberry.ID(encode_id(type_name, primary_key(self))))
