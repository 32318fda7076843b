"""What happened to a customer, as one small message that crosses processes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

__all__ = ["MAX_MESSAGE_BYTES", "CustomerEvent", "EventKind", "EventTooLargeError"]

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. An event names its entity
# and carries a few facts; a subscriber that wants more loads the entity by its id.
MAX_MESSAGE_BYTES = 2_000


class EventKind(StrEnum):
    """What happened. ``entity_type`` names the table row it happened to."""

    CUSTOMER_CREATED = "CUSTOMER_CREATED"  # entity: Customer
    CUSTOMER_UPDATED = "CUSTOMER_UPDATED"  # entity: Customer, or the ContactPoint changed
    INTERACTION_RECORDED = "INTERACTION_RECORDED"  # entity: Interaction
    TICKET_OPENED = "TICKET_OPENED"  # entity: SupportTicket
    TICKET_UPDATED = "TICKET_UPDATED"  # entity: SupportTicket
    POINTS_EARNED = "POINTS_EARNED"  # entity: LedgerEntry (likewise every POINTS_ kind)
    POINTS_REDEEMED = "POINTS_REDEEMED"
    POINTS_ADJUSTED = "POINTS_ADJUSTED"
    POINTS_REVERSED = "POINTS_REVERSED"
    POINTS_EXPIRED = "POINTS_EXPIRED"
    WARRANTY_REGISTERED = "WARRANTY_REGISTERED"  # entity: WarrantyPolicy
    WARRANTY_CLAIM_FILED = "WARRANTY_CLAIM_FILED"  # entity: WarrantyClaim
    WARRANTY_CLAIM_DECIDED = "WARRANTY_CLAIM_DECIDED"  # entity: WarrantyClaim
    CONSENT_GRANTED = "CONSENT_GRANTED"  # entity: Consent
    CONSENT_REVOKED = "CONSENT_REVOKED"  # entity: Consent


class EventTooLargeError(ValueError):
    """An event whose message would not fit a NOTIFY: a bug in the publisher, not bad input."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerEvent:
    """One committed change to one customer.

    ``entity_type`` is the entity's type name as global ids spell it (``LedgerEntry``,
    ``SupportTicket``, ...), ``entity_id`` its primary key. ``data`` holds a few small
    facts worth having without a lookup (e.g. ``points`` and ``balance``): JSON values only.
    """

    customer_id: int
    kind: EventKind
    entity_type: str
    entity_id: int
    occurred_at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")

    def encode(self) -> str:
        """The wire form: compact JSON, at most ``MAX_MESSAGE_BYTES`` bytes."""
        message = orjson.dumps(
            {
                "c": self.customer_id,
                "k": self.kind.value,
                "t": self.entity_type,
                "e": self.entity_id,
                "at": self.occurred_at.astimezone(dt.UTC).isoformat(),
                "d": dict(self.data),
            }
        )
        if len(message) > MAX_MESSAGE_BYTES:
            raise EventTooLargeError(
                f"a {self.kind} event takes {len(message)} bytes, more than {MAX_MESSAGE_BYTES}:"
                " send the entity's id, not its contents"
            )
        return message.decode()

    @classmethod
    def decode(cls, message: str | bytes) -> CustomerEvent:
        """The event of a message ``encode`` wrote; ``ValueError`` for anything else."""
        try:
            raw = orjson.loads(message)
            return cls(
                customer_id=int(raw["c"]),
                kind=EventKind(raw["k"]),
                entity_type=str(raw["t"]),
                entity_id=int(raw["e"]),
                occurred_at=dt.datetime.fromisoformat(raw["at"]),
                data=dict(raw["d"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a customer event message: {error}") from None
