"""Types every domain module shares: the ``Node`` interface and ``Money``."""

from __future__ import annotations

from decimal import Decimal

import strawberry

__all__ = ["Money", "Node", "money"]


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
