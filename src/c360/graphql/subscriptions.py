"""``customerEvents(customerId)``: a customer's committed changes, as they are committed.

The first message of every subscription is ``SUBSCRIBED``: from then on, every change
committed to the customer is delivered, so a client that loads the customer after it
misses nothing. The events follow in commit order. The stream ends with an error the
client should answer by reloading and subscribing again: ``SUBSCRIBER_TOO_SLOW`` (it
fell ``QUEUE_SIZE`` events behind), ``EVENTS_INTERRUPTED`` (the server lost its
database listener for a moment), ``NOT_FOUND`` (the customer is gone from the
caller's view).

The socket's context lives as long as the socket; each event gets fresh loaders and a
fresh clock, so ``customer`` and ``entity`` show the data as committed, and the
database connection goes back to the pool between events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, TypeVar

import strawberry

from c360.auth.scopes import Scope
from c360.events import CustomerEvent as DomainEvent
from c360.events import EventKind, StreamEndCode, StreamEndedError, hub_for
from c360.graphql.common import Money, Node
from c360.graphql.context import Context, GraphQLInfo
from c360.graphql.customers import Customer, load_customer
from c360.graphql.enums import ClaimDecision, ConsentPurpose, TicketStatus
from c360.graphql.errors import ApiErrorCode
from c360.graphql.ids import NODE_TYPE_NAMES, decode_id_of, encode_id
from c360.graphql.node import load_node
from c360.graphql.permissions import requires
from c360.graphql.websocket import refresh
from graphql import GraphQLError

__all__ = ["CustomerEventKind", "CustomerSubscription"]


class CustomerEventKind(StrEnum):
    SUBSCRIBED = "SUBSCRIBED"
    CUSTOMER_CREATED = "CUSTOMER_CREATED"
    CUSTOMER_UPDATED = "CUSTOMER_UPDATED"
    INTERACTION_RECORDED = "INTERACTION_RECORDED"
    TICKET_OPENED = "TICKET_OPENED"
    TICKET_UPDATED = "TICKET_UPDATED"
    POINTS_EARNED = "POINTS_EARNED"
    POINTS_REDEEMED = "POINTS_REDEEMED"
    POINTS_ADJUSTED = "POINTS_ADJUSTED"
    POINTS_REVERSED = "POINTS_REVERSED"
    POINTS_EXPIRED = "POINTS_EXPIRED"
    WARRANTY_REGISTERED = "WARRANTY_REGISTERED"
    WARRANTY_CLAIM_FILED = "WARRANTY_CLAIM_FILED"
    WARRANTY_CLAIM_DECIDED = "WARRANTY_CLAIM_DECIDED"
    CONSENT_GRANTED = "CONSENT_GRANTED"
    CONSENT_REVOKED = "CONSENT_REVOKED"


if {kind.value for kind in CustomerEventKind} != {"SUBSCRIBED", *(k.value for k in EventKind)}:
    raise RuntimeError("CustomerEventKind and c360.events.EventKind disagree")

strawberry.enum(
    CustomerEventKind,
    description=(
        "What happened. SUBSCRIBED comes first and once: the subscription is live, and "
        "every change committed from then on will follow."
    ),
)


@strawberry.type(description="A change committed to a customer, or SUBSCRIBED.")
class CustomerEvent:
    kind: CustomerEventKind
    occurred_at: dt.datetime = strawberry.field(
        description="When it was committed (for SUBSCRIBED: when the subscription started)."
    )
    customer_id: strawberry.ID
    entity_id: strawberry.ID | None = strawberry.field(
        description="The global id of what changed (a LedgerEntry, a SupportTicket, ...)."
    )
    points: int | None = strawberry.field(
        directives=requires(Scope.LOYALTY_READ),
        description="For POINTS_ kinds: the signed points the entry moved.",
    )
    points_balance: int | None = strawberry.field(
        directives=requires(Scope.LOYALTY_READ),
        description="For POINTS_ kinds: the account's balance right after the entry.",
    )
    changed_fields: list[str] | None = strawberry.field(
        description=(
            "For CUSTOMER_ kinds: the names of the fields that changed, of the customer or "
            "of the contact point entityId names (all of them when it was added or "
            "removed). Never their values: load those through entity or customer."
        )
    )
    # Each fact needs the scope its entity's type needs: a fact is a piece of the entity.
    ticket_status: TicketStatus | None = strawberry.field(
        description="For TICKET_ kinds: the ticket's status after the change.",
        directives=requires(Scope.INTERACTIONS_READ),
    )
    previous_ticket_status: TicketStatus | None = strawberry.field(
        description="For TICKET_UPDATED: the ticket's status before the change.",
        directives=requires(Scope.INTERACTIONS_READ),
    )
    claim_decision: ClaimDecision | None = strawberry.field(
        description="For WARRANTY_CLAIM_DECIDED: the decision.",
        directives=requires(Scope.WARRANTY_READ),
    )
    claim_amount: Money | None = strawberry.field(
        description="For WARRANTY_CLAIM_DECIDED: the amount decided (null for REJECTED).",
        directives=requires(Scope.WARRANTY_READ),
    )
    consent_purpose: ConsentPurpose | None = strawberry.field(
        description="For CONSENT_ kinds: the purpose granted or revoked.",
        directives=requires(Scope.CONSENTS_READ),
    )
    _customer_pk: strawberry.Private[int]
    _entity: strawberry.Private[tuple[str, int] | None]

    @strawberry.field(description="The customer as it is now.")
    async def customer(self, info: GraphQLInfo) -> Customer | None:
        return await load_customer(info.context.loaders, self._customer_pk)

    @strawberry.field(description="What changed, as it is now; null when it is gone.")
    async def entity(self, info: GraphQLInfo) -> Node | None:
        if self._entity is None:
            return None
        return await load_node(info.context, *self._entity)

    @classmethod
    def subscribed(cls, customer_pk: int, now: dt.datetime) -> CustomerEvent:
        return cls._of(CustomerEventKind.SUBSCRIBED, customer_pk, at=now)

    @classmethod
    def from_event(cls, event: DomainEvent) -> CustomerEvent:
        known = event.entity_type in NODE_TYPE_NAMES
        return cls._of(
            CustomerEventKind(event.kind.value),
            event.customer_id,
            at=event.occurred_at,
            entity=(event.entity_type, event.entity_id) if known else None,
            data=event.data,
        )

    @classmethod
    def _of(
        cls,
        kind: CustomerEventKind,
        customer_pk: int,
        *,
        at: dt.datetime,
        entity: tuple[str, int] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> CustomerEvent:
        data = data or {}
        points, balance = data.get("points"), data.get("balance")
        return cls(
            kind=kind,
            occurred_at=at,
            customer_id=strawberry.ID(encode_id("Customer", customer_pk)),
            entity_id=None if entity is None else strawberry.ID(encode_id(*entity)),
            points=points if isinstance(points, int) else None,
            points_balance=balance if isinstance(balance, int) else None,
            changed_fields=_strings(data.get("fields")),
            ticket_status=_member(TicketStatus, data.get("status")),
            previous_ticket_status=_member(TicketStatus, data.get("previous_status")),
            claim_decision=_member(ClaimDecision, data.get("decision")),
            claim_amount=_money(data.get("amount"), data.get("currency")),
            consent_purpose=_member(ConsentPurpose, data.get("purpose")),
            _customer_pk=customer_pk,
            _entity=entity,
        )


# The facts of ``data`` as the publishers write them (``c360.events``: enums by name,
# amounts as strings); anything else reads as absent rather than failing the stream.

_Member = TypeVar("_Member", bound=Enum)


def _member(enum: type[_Member], name: object) -> _Member | None:
    return enum.__members__.get(name) if isinstance(name, str) else None


def _strings(values: object) -> list[str] | None:
    if not isinstance(values, list):
        return None
    return [value for value in values if isinstance(value, str)]


def _money(amount: object, currency: object) -> Money | None:
    if not isinstance(amount, str) or not isinstance(currency, str):
        return None
    try:
        return Money(amount=Decimal(amount), currency=currency)
    except InvalidOperation:
        return None


@strawberry.type
class CustomerSubscription:
    @strawberry.subscription(
        description=(
            "The changes committed to one customer, as they are committed: interactions, "
            "tickets, points, warranty claims, profile and contact changes, consents. "
            "Starts with SUBSCRIBED."
        ),
        directives=requires(Scope.CUSTOMER_READ),
    )
    async def customer_events(
        self, info: GraphQLInfo, customer_id: strawberry.ID
    ) -> AsyncGenerator[CustomerEvent, None]:
        context = info.context
        pk = decode_id_of("Customer", customer_id)
        refresh(context)  # nothing cached from the socket's earlier operations
        await _require_visible(context, pk)
        hub = hub_for(context.db.engine)
        try:
            if hub is None:
                raise StreamEndedError(
                    StreamEndCode.EVENTS_UNAVAILABLE, "live updates are not running here"
                )
            async with hub.subscribe(pk) as stream:
                yield CustomerEvent.subscribed(pk, dt.datetime.now(dt.UTC))
                # The generator resumes once the last message was resolved and sent: let
                # its connection go before waiting, however long, for the next event.
                await context.db.release()
                async for event in stream:
                    refresh(context)
                    await _require_visible(context, pk)
                    yield CustomerEvent.from_event(event)
                    # Each event is a read of the customer's activity.
                    context.loaders.read_customer_ids.add(pk)
                    context.record_access()
                    await context.db.release()
        except StreamEndedError as error:
            raise GraphQLError(error.message, extensions={"code": error.code.value}) from None
        finally:
            await context.db.release()  # the socket may run other operations


async def _require_visible(context: Context, pk: int) -> None:
    """An invisible customer is answered exactly as a missing one."""
    visible = await context.customer_visible(pk)
    if not visible or await context.loaders.customer_by_id.load(pk) is None:
        raise GraphQLError("no such customer", extensions={"code": ApiErrorCode.NOT_FOUND.value})
