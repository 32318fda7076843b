"""``node(id:)`` and ``nodes(ids:)``: fetch any object again by its global id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import strawberry

from c360.errors import InvalidArgumentError
from c360.graphql.common import Node
from c360.graphql.consent import Consent, load_consent
from c360.graphql.context import GraphQLInfo
from c360.graphql.customers import (
    Attachment,
    ContactPoint,
    Customer,
    load_attachment,
    load_contact_point,
    load_customer,
)
from c360.graphql.holdings import Holding, Product, load_holding, load_product
from c360.graphql.ids import NODE_TYPE_NAMES, decode_id
from c360.graphql.interactions import (
    Interaction,
    SupportTicket,
    load_interaction,
    load_support_ticket,
)
from c360.graphql.loaders import Loaders
from c360.graphql.loyalty import (
    LedgerEntry,
    LoyaltyAccount,
    load_ledger_entry,
    load_loyalty_account,
)
from c360.graphql.warranty import (
    WarrantyClaim,
    WarrantyPolicy,
    load_warranty_claim,
    load_warranty_policy,
)

__all__ = ["MAX_NODES", "NODE_TYPES", "NodeQuery", "load_node"]

MAX_NODES = 100

NodeLoad = Callable[[Loaders, int], Awaitable[Node | None]]

# Each node type, and how to load one by primary key (through its by-id loader, so
# that nodes(ids:) asks the database once per type).
_NODES: dict[str, tuple[type[Node], NodeLoad]] = {
    "Attachment": (Attachment, load_attachment),
    "Consent": (Consent, load_consent),
    "ContactPoint": (ContactPoint, load_contact_point),
    "Customer": (Customer, load_customer),
    "Holding": (Holding, load_holding),
    "Interaction": (Interaction, load_interaction),
    "LedgerEntry": (LedgerEntry, load_ledger_entry),
    "LoyaltyAccount": (LoyaltyAccount, load_loyalty_account),
    "Product": (Product, load_product),
    "SupportTicket": (SupportTicket, load_support_ticket),
    "WarrantyClaim": (WarrantyClaim, load_warranty_claim),
    "WarrantyPolicy": (WarrantyPolicy, load_warranty_policy),
}
if set(_NODES) != NODE_TYPE_NAMES:  # an id type without a loader, or the reverse
    raise RuntimeError("node types and NODE_TYPE_NAMES disagree")

NODE_TYPES: list[type[Node]] = [node_type for node_type, _ in _NODES.values()]


async def _load(loaders: Loaders, global_id: str) -> Node | None:
    return await load_node(loaders, *decode_id(global_id))


async def load_node(loaders: Loaders, type_name: str, pk: int) -> Node | None:
    """The node of a type named in ``NODE_TYPE_NAMES``, by primary key."""
    return await _NODES[type_name][1](loaders, pk)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="The object with this global id; null when there is none.")
    async def node(self, info: GraphQLInfo, id: strawberry.ID) -> Node | None:
        return await _load(info.context.loaders, id)

    @strawberry.field(
        description=(
            f"The objects with these ids, in order, null where there is none (at most {MAX_NODES})."
        )
    )
    async def nodes(self, info: GraphQLInfo, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise InvalidArgumentError(f"ids takes at most {MAX_NODES} ids, got {len(ids)}")
        for global_id in ids:  # refuse the whole list before loading any of it
            decode_id(global_id)
        loaders = info.context.loaders
        return list(await asyncio.gather(*(_load(loaders, global_id) for global_id in ids)))
