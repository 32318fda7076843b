"""``recordInteraction``, ``openTicket``, ``updateTicket``.

Each returns ``XSuccess | XError``: a refusal is data (an ``InteractionErrorCode`` and
the input field at fault), and nothing was written. The writes run in
``c360.interactions.service``, one transaction each, on a connection of their own.
A customer the caller may not see is answered as a missing one, and so is a ticket of
such a customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeAlias, TypeVar

import strawberry

from c360.auth.scopes import Scope
from c360.graphql.context import GraphQLInfo
from c360.graphql.enums import Channel, InteractionDirection, TicketPriority, TicketStatus
from c360.graphql.interactions import Interaction, SupportTicket
from c360.graphql.mutation_support import input_path, optional_pk, pk
from c360.graphql.permissions import requires
from c360.interactions import errors, service
from c360.interactions.errors import InteractionErrorCode
from c360.validation import MAX_TEXT_LENGTH, InvalidInput

__all__ = ["InteractionMutation"]

Code = InteractionErrorCode
T = TypeVar("T")

strawberry.enum(
    InteractionErrorCode,
    description="Why an interaction or ticket write was refused. Nothing was written.",
)


@strawberry.type(description="An interaction or ticket write refused. Nothing was written.")
class InteractionError:
    code: InteractionErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="The path of the offending input field, e.g. [input, topic]."
    )


@strawberry.type(description="The interaction recorded.")
class InteractionSuccess:
    interaction: Interaction


@strawberry.type(description="The ticket as stored after the write.")
class TicketSuccess:
    ticket: SupportTicket


InteractionResult: TypeAlias = Annotated[
    InteractionSuccess | InteractionError, strawberry.union("InteractionResult")
]
TicketResult: TypeAlias = Annotated[
    TicketSuccess | InteractionError, strawberry.union("TicketResult")
]

_TEXT_DOC = f"Up to {MAX_TEXT_LENGTH} characters."


@strawberry.input(description="One contact with the customer.")
class RecordInteractionInput:
    customer_id: strawberry.ID
    channel: Channel
    direction: InteractionDirection
    topic: str = strawberry.field(
        description=f"What it was about, 1 to {service.MAX_TOPIC_LENGTH} characters."
    )
    summary: str | None = strawberry.field(default=None, description=_TEXT_DOC)
    agent: str | None = strawberry.field(
        default=None, description=f"Who handled it, up to {service.MAX_AGENT_LENGTH} characters."
    )
    occurred_at: dt.datetime | None = strawberry.field(
        default=None, description="Defaults to now; not in the future, not before 1970."
    )
    holding_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's holding it was about."
    )
    warranty_policy_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's warranty policy it was about."
    )


@strawberry.input(description="A new support ticket; it opens with status OPEN.")
class OpenTicketInput:
    customer_id: strawberry.ID
    subject: str = strawberry.field(description=f"1 to {service.MAX_SUBJECT_LENGTH} characters.")
    priority: TicketPriority = TicketPriority.NORMAL
    channel: Channel | None = None
    holding_id: strawberry.ID | None = None
    warranty_policy_id: strawberry.ID | None = None


@strawberry.input(
    description=(
        "Changes to a ticket; give at least one. Status moves only along OPEN -> PENDING, "
        "RESOLVED or CLOSED; PENDING -> OPEN, RESOLVED or CLOSED; RESOLVED -> CLOSED or "
        "OPEN. A closed ticket changes no more. To change only the priority or the "
        "resolution, leave status out."
    )
)
class UpdateTicketInput:
    id: strawberry.ID
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    resolution: str | None = strawberry.field(default=None, description=_TEXT_DOC)


@strawberry.type
class InteractionMutation:
    @strawberry.mutation(
        description="Record a contact with a customer.",
        directives=requires(Scope.INTERACTIONS_WRITE),
    )
    async def record_interaction(
        self, info: GraphQLInfo, input: RecordInteractionInput
    ) -> InteractionResult:
        async def run() -> InteractionSuccess:
            customer_id = await _visible_customer(info, input.customer_id)
            row = await service.record_interaction(
                info.context.db.engine,
                customer_id=customer_id,
                channel=input.channel,
                direction=input.direction,
                topic=input.topic,
                summary=input.summary,
                agent=input.agent,
                occurred_at=input.occurred_at,
                holding_id=optional_pk("Holding", input.holding_id, "holding_id"),
                warranty_policy_id=optional_pk(
                    "WarrantyPolicy", input.warranty_policy_id, "warranty_policy_id"
                ),
                now=info.context.now,
            )
            return InteractionSuccess(interaction=Interaction.from_row(row))

        return await _refused_or(run)

    @strawberry.mutation(
        description="Open a support ticket.", directives=requires(Scope.INTERACTIONS_WRITE)
    )
    async def open_ticket(self, info: GraphQLInfo, input: OpenTicketInput) -> TicketResult:
        async def run() -> TicketSuccess:
            customer_id = await _visible_customer(info, input.customer_id)
            row = await service.open_ticket(
                info.context.db.engine,
                customer_id=customer_id,
                subject=input.subject,
                priority=input.priority,
                channel=input.channel,
                holding_id=optional_pk("Holding", input.holding_id, "holding_id"),
                warranty_policy_id=optional_pk(
                    "WarrantyPolicy", input.warranty_policy_id, "warranty_policy_id"
                ),
                now=info.context.now,
            )
            return TicketSuccess(ticket=SupportTicket.from_row(row))

        return await _refused_or(run)

    @strawberry.mutation(
        description="Move a ticket along its statuses, or change its priority or resolution.",
        directives=requires(Scope.INTERACTIONS_WRITE),
    )
    async def update_ticket(self, info: GraphQLInfo, input: UpdateTicketInput) -> TicketResult:
        async def run() -> TicketSuccess:
            ticket_id = pk("SupportTicket", input.id, "id")
            owner = await info.context.loaders.support_ticket_by_id.load(ticket_id)
            if owner is None or not await info.context.customer_visible(owner.customer_id):
                raise errors.InteractionError(Code.TICKET_NOT_FOUND, "no such ticket", field="id")
            row = await service.update_ticket(
                info.context.db.engine,
                ticket_id=ticket_id,
                status=input.status,
                priority=input.priority,
                resolution=input.resolution,
                now=info.context.now,
            )
            return TicketSuccess(ticket=SupportTicket.from_row(row))

        return await _refused_or(run)


async def _visible_customer(info: GraphQLInfo, global_id: str) -> int:
    customer_id = pk("Customer", global_id, "customer_id")
    if not await info.context.customer_visible(customer_id):
        raise errors.InteractionError(
            Code.CUSTOMER_NOT_FOUND, "no such customer", field="customer_id"
        )
    return customer_id


async def _refused_or(run: Callable[[], Awaitable[T]]) -> T | InteractionError:
    try:
        return await run()
    except errors.InteractionError as error:
        return InteractionError(
            code=error.code, message=error.message, field=input_path(error.field)
        )
    except InvalidInput as error:
        return InteractionError(
            code=Code.INVALID_INPUT, message=error.message, field=input_path(error.field)
        )
