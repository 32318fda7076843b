"""Features as of a cutoff: rows dated on or after the cutoff never change them."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.models import Holding, Interaction, Product, SupportTicket
from c360.recommend.features import NO_ENQUIRY, read_snapshot

CUTOFF = dt.date(2026, 5, 1)


def _same(a: object, b: object) -> None:
    for name in ("customer_ids", "profile", "held_months", "enquiry_months"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.interests == b.interests  # type: ignore[attr-defined]


async def test_rows_dated_on_or_after_the_cutoff_do_not_change_features(
    recommend_engine: AsyncEngine,
) -> None:
    async with recommend_engine.connect() as connection:
        before = await read_snapshot(connection, CUTOFF)
        target = int(before.customer_ids[0])
        not_held = [c for c, h in zip(before.product_codes, before.held[0], strict=True) if not h]
        product_id = (
            await connection.execute(select(Product.id).where(Product.code == not_held[0]))
        ).scalar_one()
        at = dt.datetime.combine(CUTOFF, dt.time(), tzinfo=dt.UTC)
        await connection.execute(
            insert(Holding).values(
                customer_id=target,
                product_id=product_id,
                role="owner",
                account_ref_masked="**** 0000",
                account_ref_last4="0000",
                status="active",
                opened_date=CUTOFF,
                currency="EUR",
                created_at=at,
                updated_at=at,
            )
        )
        await connection.execute(
            insert(Interaction).values(
                customer_id=target,
                channel="phone",
                direction="inbound",
                topic=f"enquiry:{not_held[0]}",
                occurred_at=at,
            )
        )
        await connection.execute(
            insert(SupportTicket).values(
                customer_id=target,
                subject="after the cutoff",
                status="open",
                priority="normal",
                opened_at=at + dt.timedelta(days=3),
            )
        )
        after = await read_snapshot(connection, CUTOFF)
        later = await read_snapshot(connection, dt.date(2026, 6, 1), customer_ids=[target])
        await connection.rollback()
    _same(before, after)
    # The same rows are seen once the cutoff has passed them.
    column = before.product_codes.index(not_held[0])
    assert later.held_months[0, column] == 1
    assert later.enquiry_months[0, column] == 1 < NO_ENQUIRY


async def test_only_customers_who_joined_before_the_cutoff_are_read(
    recommend_engine: AsyncEngine,
) -> None:
    async with recommend_engine.connect() as connection:
        early = await read_snapshot(connection, dt.date(2020, 1, 1))
        late = await read_snapshot(connection, CUTOFF)
    assert set(early.customer_ids) < set(late.customer_ids)
    assert (early.column("tenure_months") >= 1).all()
