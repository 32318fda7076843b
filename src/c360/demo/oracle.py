"""The propensity model's inputs, read back from a database at any cutoff.

The next-best-product evaluation asks the oracle what each customer's true monthly
chances were on a cutoff date; this module reads exactly what ``propensity`` documents
(customer attributes, holdings open on the cutoff, the latest enquiries before its
month) and hands back ``PropensityInputs`` for the whole batch. Cutoffs on the first
day of a month reproduce the simulation's draws exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.demo.propensity import (
    ENQUIRY_TOPIC_PREFIX,
    CustomerProfile,
    PropensityInputs,
    acquisition_probabilities,
    inputs_at,
)
from c360.demo.timeline import month_index, month_start
from c360.models import Customer, Holding, Interaction, Product


async def read_profiles(
    connection: AsyncConnection, customer_ids: Sequence[int] | None = None
) -> dict[int, CustomerProfile]:
    query = select(
        Customer.id,
        Customer.party_type,
        Customer.birth_date,
        Customer.income_band,
        Customer.segment,
        Customer.customer_since_date,
        Customer.household_size,
        Customer.interests,
    ).order_by(Customer.id)
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    return {
        row.id: CustomerProfile(
            party_type=str(row.party_type),
            birth_date=row.birth_date,
            income_band=str(row.income_band) if row.income_band is not None else None,
            segment=str(row.segment),
            customer_since_date=row.customer_since_date,
            household_size=row.household_size,
            interests=frozenset(row.interests or ()),
        )
        for row in await connection.execute(query)
    }


async def read_held(
    connection: AsyncConnection, as_of: dt.date, customer_ids: Sequence[int] | None = None
) -> dict[int, dict[str, dt.date]]:
    """Per customer: product code -> opened date of each holding open on ``as_of``."""
    query = (
        select(Holding.customer_id, Product.code, Holding.opened_date)
        .join(Product, Product.id == Holding.product_id)
        .where(
            Holding.opened_date < as_of,
            or_(Holding.closed_date.is_(None), Holding.closed_date >= as_of),
        )
        .order_by(Holding.customer_id, Holding.opened_date)
    )
    if customer_ids is not None:
        query = query.where(Holding.customer_id.in_(customer_ids))
    held: dict[int, dict[str, dt.date]] = {}
    for customer_id, code, opened in await connection.execute(query):
        held.setdefault(customer_id, {})[code] = opened  # the latest, for replaced goods
    return held


async def read_enquiries(
    connection: AsyncConnection, as_of: dt.date, customer_ids: Sequence[int] | None = None
) -> dict[int, dict[str, dt.date]]:
    """Per customer: product code -> date of the latest enquiry before ``as_of``'s month."""
    month_began = dt.datetime.combine(month_start(month_index(as_of)), dt.time(), tzinfo=dt.UTC)
    latest = func.max(Interaction.occurred_at)
    query = (
        select(Interaction.customer_id, Interaction.topic, latest)
        .where(
            and_(
                Interaction.topic.startswith(ENQUIRY_TOPIC_PREFIX),
                Interaction.occurred_at < month_began,
            )
        )
        .group_by(Interaction.customer_id, Interaction.topic)
    )
    if customer_ids is not None:
        query = query.where(Interaction.customer_id.in_(customer_ids))
    enquiries: dict[int, dict[str, dt.date]] = {}
    for customer_id, topic, occurred_at in await connection.execute(query):
        code = topic.removeprefix(ENQUIRY_TOPIC_PREFIX)
        enquiries.setdefault(customer_id, {})[code] = occurred_at.date()
    return enquiries


async def read_inputs(
    connection: AsyncConnection, as_of: dt.date, customer_ids: Sequence[int] | None = None
) -> tuple[list[int], PropensityInputs]:
    """The model's inputs on ``as_of`` for the given customers (all by default), in id order."""
    profiles = await read_profiles(connection, customer_ids)
    held = await read_held(connection, as_of, customer_ids)
    enquiries = await read_enquiries(connection, as_of, customer_ids)
    ids = list(profiles)
    inputs = inputs_at(
        as_of,
        [profiles[i] for i in ids],
        [held.get(i, {}) for i in ids],
        [enquiries.get(i, {}) for i in ids],
    )
    return ids, inputs


async def oracle_probabilities(
    connection: AsyncConnection, as_of: dt.date, customer_ids: Sequence[int] | None = None
) -> tuple[list[int], np.ndarray]:
    """True monthly acquisition probabilities on ``as_of``: ids, and ``(customers, products)``."""
    ids, inputs = await read_inputs(connection, as_of, customer_ids)
    return ids, acquisition_probabilities(inputs)
