"""Live updates: committed changes to a customer, pushed to whoever subscribed to it.

A write that changes a customer publishes a ``CustomerEvent`` INSIDE its transaction,
after writing its rows; the event reaches subscribers only if that transaction commits
(PostgreSQL: ``pg_notify``, to every process; SQLite: in this process, after COMMIT)::

    from c360 import events

    async with _write_transaction(engine) as conn:    # the service's own transaction
        ticket_id = ...                               # write the rows first
        await events.publish(
            conn,
            events.CustomerEvent(
                customer_id=customer_id,
                kind=events.EventKind.TICKET_OPENED,
                entity_type="SupportTicket",          # as global ids name the type
                entity_id=ticket_id,
                occurred_at=now,
                data={"status": "OPEN"},              # a few small JSON facts, or nothing
            ),
        )

Keep ``data`` small (the whole message must stay under ``MAX_MESSAGE_BYTES``): a
subscriber loads the entity itself by its id. A replayed (idempotent) write books
nothing and publishes nothing.

Subscribers use the process's ``EventHub`` (``hub_for(engine)``), which the app starts
and stops in its lifespan.
"""

from c360.events.hub import (
    QUEUE_SIZE,
    EventHub,
    StreamEndCode,
    StreamEndedError,
    Subscription,
    hub_for,
)
from c360.events.model import MAX_MESSAGE_BYTES, CustomerEvent, EventKind, EventTooLargeError
from c360.events.publish import CHANNEL, publish, publish_row

__all__ = [
    "CHANNEL",
    "MAX_MESSAGE_BYTES",
    "QUEUE_SIZE",
    "CustomerEvent",
    "EventHub",
    "EventKind",
    "EventTooLargeError",
    "StreamEndCode",
    "StreamEndedError",
    "Subscription",
    "hub_for",
    "publish",
    "publish_row",
]
