"""``node(id:)`` and ``nodes(ids:)``: fetch any object again by its global id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import strawberry

from c360.errors import InvalidArgumentError
from c360.graphql.common import Node
from c360.graphql.consent import Consent, load_consent
from c360.graphql.context import Context, GraphQLInfo
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
from c360.graphql.permissions import declared_scope
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


# The by-id loader of each customer-owned node type (the one its load function uses, so
# asking it again costs nothing), to find the customer it belongs to.
_OWNED_BY_ID = {
    "Attachment": "attachment_by_id",
    "Consent": "consent_by_id",
    "ContactPoint": "contact_point_by_id",
    "Holding": "holding_by_id",
    "Interaction": "interaction_by_id",
    "LoyaltyAccount": "loyalty_account_by_id",
    "SupportTicket": "support_ticket_by_id",
    "WarrantyClaim": "warranty_claim_by_id",
    "WarrantyPolicy": "warranty_policy_by_id",
}
_SCOPES = {
    name: declared_scope(node_type.__strawberry_definition__)  # type: ignore[attr-defined]
    for name, (node_type, _) in _NODES.items()
}


async def _load(context: Context, global_id: str) -> Node | None:
    return await load_node(context, *decode_id(global_id))


async def load_node(context: Context, type_name: str, pk: int) -> Node | None:
    """The node of a type named in ``NODE_TYPE_NAMES``, by primary key; None when it does
    not exist or the caller may not see it.

    A node of a type outside the token's scopes, or owned by a customer outside its
    rows, is answered exactly as a missing one.
    """
    scope = _SCOPES[type_name]
    if scope is not None and scope not in context.scopes:
        return None
    node = await _NODES[type_name][1](context.loaders, pk)
    if node is None:
        return None
    owner = await _owner(context.loaders, type_name, pk)
    if owner is not None:
        if not await context.customer_visible(owner):
            return None
        context.loaders.read_customer_ids.add(owner)
    return node


async def _owner(loaders: Loaders, type_name: str, pk: int) -> int | None:
    """The id of the customer a node belongs to; None for shared ones (products, customers)."""
    if type_name == "LedgerEntry":
        entry = await loaders.ledger_entry_by_id.load(pk)
        account = await loaders.loyalty_account_by_id.load(entry.account_id)
        return None if account is None else int(account.customer_id)
    loader_name = _OWNED_BY_ID.get(type_name)
    if loader_name is None:
        return None
    row = await getattr(loaders, loader_name).load(pk)
    return None if row is None else int(row.customer_id)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="The object with this global id; null when there is none.")
    async def node(self, info: GraphQLInfo, id: strawberry.ID) -> Node | None:
        return await _load(info.context, id)

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
        context = info.context
        return list(await asyncio.gather(*(_load(context, global_id) for global_id in ids)))
