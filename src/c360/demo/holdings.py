"""Product and holding rows from the simulation: dates, roles, references, balances.

Balances are from the customer's side: money held is positive, money owed (a used
overdraft or credit line, a loan's outstanding principal) negative. Amounts scale with
the customer's income band and the country's price level, and are exact cents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c360.demo.catalogue import Catalogue
from c360.demo.people import People
from c360.demo.propensity_rules import PRODUCT_CODES, PRODUCT_INDEX
from c360.demo.simulate import NOT_CLOSED, Closure, Simulation
from c360.demo.streams import stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, random_instants_between, random_times

# How much more than a middle income each income band holds, owes and spends.
INCOME_MULTIPLIERS = np.array([0.45, 0.7, 1.0, 1.6, 3.0])
ORGANISATION_MULTIPLIER = 4.0
_JOINT_SHARE = {"current_account": 0.08, "savings_account": 0.05, "mortgage": 0.35}
_GUARANTOR_SHARE = {"personal_loan": 0.04, "car_loan": 0.03}


@dataclass(frozen=True)
class Holdings:
    """The holdings in id order (id = index + 1), for the tables that refer to them."""

    customer: np.ndarray  # index into People
    product: np.ndarray  # index into PRODUCT_CODES
    opened_date: np.ndarray
    closed_date: np.ndarray  # NaT while open
    created_at: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)

    @property
    def ids(self) -> np.ndarray:
        return np.arange(1, len(self.customer) + 1)


def product_table(catalogue: Catalogue) -> TableData:
    products = [catalogue.product(code) for code in PRODUCT_CODES]
    return TableData(
        "product",
        {
            "id": np.arange(1, len(products) + 1),
            "code": [p.code for p in products],
            "name": [p.name for p in products],
            "category": [p.category for p in products],
            "description": [p.description for p in products],
            # The catalogue's values are in euros, the group's reporting currency.
            "currency": ["EUR"] * len(products),
            "expected_annual_value": np.array(
                [int(p.expected_annual_value * 100) for p in products]
            ),
            "is_active": np.ones(len(products), dtype=bool),
        },
    )


def _dates(
    rng: np.random.Generator,
    sim: Simulation,
    order: np.ndarray,
    joined: np.ndarray,
    timeline: Timeline,
) -> tuple[np.ndarray, np.ndarray]:
    """Opened and closed dates; ``joined`` is each holding's customer's first day."""
    held = sim.holdings
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    opened_month, closed_month = held.opened_month[order], held.closed_month[order]
    closure = held.closure[order]
    closed_with = np.where(
        held.closed_with[order] >= 0, position[np.maximum(held.closed_with[order], 0)], -1
    )

    # The joining month's holdings open on the first day at the earliest.
    opened = np.maximum(timeline.random_days(rng, opened_month), joined)
    is_closed = closed_month != NOT_CLOSED
    closed = np.full(len(order), np.datetime64("NaT"), dtype="datetime64[D]")
    own = np.flatnonzero(closure == Closure.TERM_OR_CHOICE)
    closed[own] = np.maximum(timeline.random_days(rng, closed_month[own]), opened[own])
    replaced = np.flatnonzero(closure == Closure.REPLACED)
    closed[replaced] = opened[closed_with[replaced]]
    with_account = np.flatnonzero(closure == Closure.WITH_ACCOUNT)
    closed[with_account] = np.maximum(closed[closed_with[with_account]], opened[with_account])
    assert not np.isnat(closed[is_closed]).any()
    return opened, closed


def _roles(
    rng: np.random.Generator, people: People, customer: np.ndarray, product: np.ndarray
) -> np.ndarray:
    draw = rng.random(len(product))
    joint = np.zeros(len(product), dtype=bool)
    guarantor = np.zeros(len(product), dtype=bool)
    for code, share in _JOINT_SHARE.items():
        with_partner = people.household_size[customer] >= 2
        joint |= (product == PRODUCT_INDEX[code]) & with_partner & (draw < share)
    for code, share in _GUARANTOR_SHARE.items():
        guarantor |= (product == PRODUCT_INDEX[code]) & (draw < share)
    joint &= ~people.is_organisation[customer]
    guarantor &= ~people.is_organisation[customer]
    return np.select([joint, guarantor], ["joint", "guarantor"], "owner").astype(object)


def _cents(amount: np.ndarray) -> np.ndarray:
    return np.rint(amount * 100).astype(np.int64)


def _round_to(amount: np.ndarray, unit: float) -> np.ndarray:
    return np.maximum(np.rint(amount / unit), 1) * unit


def _amounts(
    rng: np.random.Generator,
    catalogue: Catalogue,
    people: People,
    customer: np.ndarray,
    product: np.ndarray,
    opened: np.ndarray,
    closed: np.ndarray,
    timeline: Timeline,
) -> tuple[np.ma.MaskedArray, np.ma.MaskedArray]:
    count = len(product)
    local_per_eur = {c.code: c.eur_rate * c.price_level for c in catalogue.countries}
    scale = np.array([local_per_eur[code] for code in people.country])[customer] * np.where(
        people.is_organisation[customer],
        ORGANISATION_MULTIPLIER,
        INCOME_MULTIPLIERS[people.income_level[customer]],
    )
    specs = [catalogue.product(code) for code in PRODUCT_CODES]
    kind = np.array([s.balance for s in specs], dtype=object)[product]
    median = np.array([s.balance_median_eur for s in specs])[product] * scale
    limit_median = np.array([s.limit_median_eur for s in specs])[product] * scale
    noise = rng.lognormal(0.0, 0.8, count)
    usage = rng.random(count)
    balance = np.zeros(count)
    limit = np.zeros(count)
    has_limit = np.zeros(count, dtype=bool)

    deposit = kind == "deposit"
    balance[deposit] = median[deposit] * noise[deposit]
    overdraft = kind == "overdraft"
    has_limit |= overdraft & (rng.random(count) < 0.35)
    limit[has_limit] = _round_to(limit_median[has_limit] * (0.5 + usage[has_limit]), 100)
    overdrawn = has_limit & (usage < 0.15)
    balance[overdraft] = median[overdraft] * noise[overdraft]
    balance[overdrawn] = -limit[overdrawn] * usage[overdrawn] / 0.15 * 0.9
    credit_line = kind == "credit_line"
    has_limit |= credit_line
    limit[credit_line] = _round_to(limit_median[credit_line] * np.sqrt(noise[credit_line]), 100)
    balance[credit_line] = -limit[credit_line] * usage[credit_line] * 0.7
    loan = kind == "loan"
    principal = median * np.sqrt(noise)
    term_days = np.array([(s.term_months or (1, 1))[1] for s in specs])[product] * 30.4
    elapsed = (timeline.as_of_instant.astype("datetime64[D]") - opened).astype(np.int64)
    balance[loan] = -principal[loan] * np.clip(1 - elapsed[loan] / term_days[loan], 0.02, 1)

    is_closed = ~np.isnat(closed)
    balance[is_closed] = 0
    no_balance = kind == "none"
    return (
        np.ma.masked_array(_cents(balance), mask=no_balance),
        np.ma.masked_array(_cents(limit), mask=~has_limit),
    )


def _statuses(
    rng: np.random.Generator,
    product: np.ndarray,
    opened: np.ndarray,
    closed: np.ndarray,
    timeline: Timeline,
) -> np.ndarray:
    draw = rng.random(len(product))
    days_open = timeline.days_before_as_of(opened)
    lending = np.isin(
        product,
        [PRODUCT_INDEX[c] for c in ("personal_loan", "car_loan", "mortgage", "credit_card")],
    )
    deposits = np.isin(product, [PRODUCT_INDEX[c] for c in ("current_account", "savings_account")])
    return np.select(
        [
            ~np.isnat(closed),
            (days_open <= 14) & (draw < 0.3),
            lending & (draw < 0.03),
            deposits & (draw < 0.04),
        ],
        ["closed", "pending", "in_arrears", "dormant"],
        "active",
    ).astype(object)


def generate_holdings(
    catalogue: Catalogue,
    people: People,
    customer_created_at: np.ndarray,
    sim: Simulation,
    timeline: Timeline,
    *,
    seed: int,
) -> tuple[TableData, Holdings]:
    rng = stream(seed, "holdings")
    held = sim.holdings
    order = np.lexsort((held.product, held.opened_month, held.customer))
    customer, product = held.customer[order], held.product[order]
    opened, closed = _dates(rng, sim, order, people.customer_since[customer], timeline)
    # Not before the customer's own record, on the day they joined.
    created_at = np.maximum(
        random_times(rng, opened), customer_created_at[customer] + np.timedelta64(5, "m")
    )
    as_of = timeline.as_of_instant
    closed_at = random_times(rng, closed)
    refreshed = random_instants_between(
        rng, np.full(len(order), as_of - np.timedelta64(35, "D")), np.full(len(order), as_of)
    )
    updated_at = np.maximum(np.where(np.isnat(closed), refreshed, closed_at), created_at)
    balance, credit_limit = _amounts(
        rng, catalogue, people, customer, product, opened, closed, timeline
    )
    last4 = [f"{n:04d}" for n in rng.integers(0, 10_000, len(order)).tolist()]
    currency = {c.code: c.currency for c in catalogue.countries}
    table = TableData(
        "holding",
        {
            "id": np.arange(1, len(order) + 1),
            "customer_id": customer + 1,
            "product_id": product + 1,
            "role": _roles(rng, people, customer, product),
            "account_ref_masked": [f"**** {digits}" for digits in last4],
            "account_ref_last4": last4,
            "status": _statuses(rng, product, opened, closed, timeline),
            "opened_date": opened,
            "closed_date": closed,
            "balance": balance,
            "credit_limit": credit_limit,
            "currency": [currency[code] for code in people.country[customer].tolist()],
            "created_at": created_at,
            "updated_at": updated_at,
        },
    )
    return table, Holdings(customer, product, opened, closed, created_at)
