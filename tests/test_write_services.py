"""The write services' contract with their callers (the GraphQL layer, and whatever
publishes an event after commit): keyword-only arguments, and the row as stored."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from gqltest import new_database
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.consent import service as consent_service
from c360.consent.models import Consent, ConsentPurpose
from c360.customers.models import Channel
from c360.database import create_engine
from c360.interactions import service as interactions_service
from c360.interactions.models import Direction, Interaction, SupportTicket, TicketStatus
from c360.warranty import service as warranty_service
from c360.warranty.models import ClaimDecision, WarrantyClaim, WarrantyKind, WarrantyPolicy
from write_support import World

SERVICES: list[Callable[..., Any]] = [
    interactions_service.record_interaction,
    interactions_service.open_ticket,
    interactions_service.update_ticket,
    warranty_service.register_warranty,
    warranty_service.file_warranty_claim,
    warranty_service.decide_warranty_claim,
    consent_service.grant_consent,
    consent_service.revoke_consent,
]


@pytest.mark.parametrize("function", SERVICES, ids=lambda f: f.__name__)
def test_arguments_after_the_engine_are_keyword_only(function: Callable[..., Any]) -> None:
    engine, *rest = inspect.signature(function).parameters.values()
    assert engine.name == "engine"
    assert rest
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest)


async def stored(engine: AsyncEngine, model: Any, row_id: int) -> Any:
    table = model.__table__
    async with engine.connect() as conn:
        return (await conn.execute(select(table).where(table.c.id == row_id))).one()


def columns(row: Any, model: Any) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in model.__table__.c}


async def same_as_stored(engine: AsyncEngine, returned: Any, model: Any) -> None:
    assert columns(returned, model) == columns(await stored(engine, model, returned.id), model)


async def test_each_service_returns_the_row_it_stored(database_factory: Any) -> None:
    engine = create_engine(await new_database(database_factory))
    try:
        world = World(engine)
        customer_id = await world.customer()
        now = dt.datetime.now(dt.UTC)

        row = await interactions_service.record_interaction(
            engine,
            customer_id=customer_id,
            channel=Channel.CHAT,
            direction=Direction.OUTBOUND,
            topic="follow-up",
            now=now,
        )
        await same_as_stored(engine, row, Interaction)
        row = await interactions_service.open_ticket(engine, customer_id=customer_id, subject="x")
        await same_as_stored(engine, row, SupportTicket)
        row = await interactions_service.update_ticket(
            engine, ticket_id=row.id, status=TicketStatus.PENDING
        )
        assert row.status == TicketStatus.PENDING
        await same_as_stored(engine, row, SupportTicket)
        policy = await warranty_service.register_warranty(
            engine,
            customer_id=customer_id,
            product_model="Kestrel K9",
            serial_number="K9-1",
            purchase_date=now.date(),
            kind=WarrantyKind.MANUFACTURER,
            price_paid=Decimal("0"),
            coverage_value=Decimal("999.99"),
            currency="EUR",
            coverage_months=24,
        )
        await same_as_stored(engine, policy, WarrantyPolicy)
        claim = await warranty_service.file_warranty_claim(
            engine, policy_id=policy.id, defect_description="Fan noise."
        )
        await same_as_stored(engine, claim, WarrantyClaim)
        claim = await warranty_service.decide_warranty_claim(
            engine, claim_id=claim.id, decision=ClaimDecision.REPAIR, amount=Decimal("120")
        )
        assert (claim.decision, claim.amount) == (ClaimDecision.REPAIR, Decimal("120.00"))
        await same_as_stored(engine, claim, WarrantyClaim)
        change = await consent_service.grant_consent(
            engine, customer_id=customer_id, purpose=ConsentPurpose.MARKETING, source="web"
        )
        assert change.recorded
        await same_as_stored(engine, change.consent, Consent)
    finally:
        await engine.dispose()
