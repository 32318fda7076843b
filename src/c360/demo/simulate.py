"""Month by month, who enquires about and acquires which product, and which holdings close.

Every month ``t`` of the timeline, for the customers who have joined by then:

1. the model's inputs are read off the state at the start of the month (age on the 1st,
   tenure, what is held and for how long, enquiries of the last months);
2. acquisitions and enquiries are drawn from ``propensity`` with one uniform draw per
   customer and product;
3. holdings close: at the end of a term, by attrition, a debit card with its account,
   retail goods when replaced.

All customers move together as numpy arrays; one month of 100,000 customers takes a few
milliseconds. Customers are sorted by the month they joined, so the active ones are a
prefix of the arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from c360.demo.catalogue import Catalogue
from c360.demo.people import People
from c360.demo.propensity import NO_ENQUIRY, PropensityInputs, monthly_probabilities
from c360.demo.propensity_rules import PRODUCT_CODES, PRODUCT_INDEX
from c360.demo.streams import stream
from c360.demo.timeline import Timeline

NOT_CLOSED = -1
OWN_EVENT = -1
_NEVER = np.iinfo(np.int64).max // 2


class Closure:
    """Why a holding closed."""

    OPEN = 0
    TERM_OR_CHOICE = 1  # end of a term, or the customer left
    REPLACED = 2  # retail goods replaced by a newer purchase
    WITH_ACCOUNT = 3  # a debit card closed with its current account


@dataclass(frozen=True)
class SimulatedHoldings:
    """One entry per holding, in the order they were acquired."""

    customer: np.ndarray  # index into People
    product: np.ndarray  # index into PRODUCT_CODES
    opened_month: np.ndarray
    closed_month: np.ndarray  # NOT_CLOSED while open on as_of
    closure: np.ndarray  # Closure
    # The holding whose event dates this closure (the replacement's purchase, the account's
    # closure), or OWN_EVENT.
    closed_with: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)


@dataclass(frozen=True)
class SimulatedEnquiries:
    customer: np.ndarray
    product: np.ndarray
    month: np.ndarray


@dataclass(frozen=True)
class Simulation:
    holdings: SimulatedHoldings
    enquiries: SimulatedEnquiries
    # The model's inputs on as_of: what the oracle must reproduce from the database.
    inputs_on_as_of: PropensityInputs


class _Growing:
    """Parallel int64 columns that grow by doubling (holdings are appended month by month)."""

    def __init__(self, names: tuple[str, ...], capacity: int) -> None:
        self._columns = {name: np.zeros(capacity, dtype=np.int64) for name in names}
        self.size = 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def append(self, **values: np.ndarray | int) -> np.ndarray:
        count = len(next(v for v in values.values() if isinstance(v, np.ndarray)))
        while self.size + count > len(next(iter(self._columns.values()))):
            for name, column in self._columns.items():
                self._columns[name] = np.concatenate([column, np.zeros_like(column)])
        rows = np.arange(self.size, self.size + count)
        for name, value in values.items():
            self._columns[name][rows] = value
        self.size += count
        return rows

    def trimmed(self) -> dict[str, np.ndarray]:
        return {name: column[: self.size].copy() for name, column in self._columns.items()}


class _State:
    """What every customer holds and has asked about, at the start of the current month."""

    def __init__(self, customers: int, catalogue: Catalogue, months: int) -> None:
        products = len(PRODUCT_CODES)
        # int32 halves the memory each month's arithmetic walks through.
        self.opened = np.full((customers, products), -1, dtype=np.int32)
        self.holding = np.full((customers, products), -1, dtype=np.int64)
        self.enquired = np.full((customers, products), -NO_ENQUIRY, dtype=np.int32)
        self.holdings = _Growing(
            ("customer", "product", "opened_month", "closed_month", "closure", "closed_with"),
            capacity=max(1024, customers * 6),
        )
        self.due: list[list[np.ndarray]] = [[] for _ in range(months)]
        specs = [catalogue.product(code) for code in PRODUCT_CODES]
        self.term_low = np.array([s.term_months[0] if s.term_months else 0 for s in specs])
        self.term_high = np.array([s.term_months[1] if s.term_months else 0 for s in specs])
        self.close_rate = np.array([s.monthly_close_rate for s in specs])


@dataclass(frozen=True)
class _Births:
    """Birth dates split once into parts, for the age on the first of every month."""

    year: np.ndarray
    month: np.ndarray
    after_the_first: np.ndarray  # born later than the 1st of the month

    @classmethod
    def of(cls, people: People) -> _Births:
        births = np.where(people.is_organisation, np.datetime64("2000-01-01"), people.birth_dates)
        months = births.astype("datetime64[M]")
        return cls(
            year=births.astype("datetime64[Y]").astype(np.int64) + 1970,
            month=months.astype(np.int64) % 12 + 1,
            after_the_first=births > months.astype("datetime64[D]"),
        )


def _inputs(
    people: People,
    births: _Births,
    state: _State | _Rebuilt,
    month: int,
    active: int,
    timeline: Timeline,
) -> PropensityInputs:
    start = timeline.start(month)
    birth_month = births.month[:active]
    before_birthday = (birth_month > start.month) | (
        (birth_month == start.month) & births.after_the_first[:active]
    )
    age = np.where(
        people.is_organisation[:active], 0, start.year - births.year[:active] - before_birthday
    )
    opened = state.opened[:active]
    return PropensityInputs(
        is_organisation=people.is_organisation[:active],
        age=age,
        income_level=people.income_level[:active],
        household_size=people.household_size[:active],
        interests=people.interests[:active],
        tenure_months=month - people.joined_month[:active],
        held_months=np.where(opened >= 0, month - opened, -1),
        enquiry_months=np.minimum(month - state.enquired[:active], NO_ENQUIRY),
        calendar_month=start.month,
    )


@dataclass(frozen=True)
class _Rebuilt:
    """The parts of ``_State`` that model inputs read, rebuilt from a finished simulation."""

    opened: np.ndarray
    enquired: np.ndarray


def inputs_at_month(
    people: People, simulation: Simulation, timeline: Timeline, month: int
) -> PropensityInputs:
    """The model's inputs at the start of ``month``, for the customers who had joined by then.

    What the simulation drew from in that month, rebuilt from its output: the in-memory
    twin of ``oracle.read_inputs`` for quick experiments without a database.
    """
    active = int(np.searchsorted(people.joined_month, month, side="right"))
    held = simulation.holdings
    opened = np.full((active, len(PRODUCT_CODES)), -1, dtype=np.int64)
    open_then = (
        (held.opened_month < month)
        & ((held.closed_month == NOT_CLOSED) | (held.closed_month >= month))
        & (held.customer < active)
    )
    opened[held.customer[open_then], held.product[open_then]] = held.opened_month[open_then]
    enquired = np.full((active, len(PRODUCT_CODES)), -NO_ENQUIRY, dtype=np.int64)
    asked = (simulation.enquiries.month < month) & (simulation.enquiries.customer < active)
    order = np.argsort(simulation.enquiries.month[asked], kind="stable")  # the latest wins
    enquired[
        simulation.enquiries.customer[asked][order], simulation.enquiries.product[asked][order]
    ] = simulation.enquiries.month[asked][order]
    return _inputs(people, _Births.of(people), _Rebuilt(opened, enquired), month, active, timeline)


def _lifetimes(rng: np.random.Generator, state: _State, products: np.ndarray) -> np.ndarray:
    """Months until each new holding closes by itself: its term, or earlier by attrition."""
    low, high, rate = (
        state.term_low[products],
        state.term_high[products],
        state.close_rate[products],
    )
    term = np.where(
        high > 0, low + (rng.random(len(products)) * (high - low + 1)).astype(np.int64), _NEVER
    )
    attrition = np.where(rate > 0, rng.geometric(np.where(rate > 0, rate, 0.5)), _NEVER)
    return np.minimum(term, attrition)


def _close(
    state: _State, rows: np.ndarray, month: int, closure: int, closed_with: np.ndarray | int
) -> None:
    holdings = state.holdings
    holdings["closed_month"][rows] = month
    holdings["closure"][rows] = closure
    holdings["closed_with"][rows] = closed_with
    customers, products = holdings["customer"][rows], holdings["product"][rows]
    state.opened[customers, products] = -1
    state.holding[customers, products] = -1


def _acquire(
    rng: np.random.Generator, state: _State, month: int, customers: np.ndarray, products: np.ndarray
) -> None:
    replaced = state.holding[customers, products]
    rows = state.holdings.append(
        customer=customers,
        product=products,
        opened_month=month,
        closed_month=NOT_CLOSED,
        closure=Closure.OPEN,
        closed_with=OWN_EVENT,
    )
    is_replacement = replaced >= 0  # only retail goods can be acquired while held
    _close(state, replaced[is_replacement], month, Closure.REPLACED, rows[is_replacement])
    state.opened[customers, products] = month
    state.holding[customers, products] = rows
    closing = month + _lifetimes(rng, state, products)
    for due_month in np.unique(closing[closing < len(state.due)]):
        state.due[due_month].append(rows[closing == due_month])


def _close_due(state: _State, month: int) -> None:
    if not state.due[month]:
        return
    rows = np.concatenate(state.due[month])
    holdings = state.holdings
    still_open = holdings["closed_month"][rows] == NOT_CLOSED
    rows = rows[still_open]
    _close(state, rows, month, Closure.TERM_OR_CHOICE, OWN_EVENT)
    accounts = rows[holdings["product"][rows] == PRODUCT_INDEX["current_account"]]
    cards = state.holding[holdings["customer"][accounts], PRODUCT_INDEX["debit_card"]]
    with_card = cards >= 0
    _close(state, cards[with_card], month, Closure.WITH_ACCOUNT, accounts[with_card])


def simulate(
    people: People,
    catalogue: Catalogue,
    timeline: Timeline,
    *,
    seed: int,
    on_month: Callable[[int], None] | None = None,
) -> Simulation:
    rng = stream(seed, "simulation")
    lifetimes_rng = stream(seed, "lifetimes")
    state = _State(people.count, catalogue, timeline.months)
    births = _Births.of(people)
    active_by_month = np.searchsorted(people.joined_month, np.arange(timeline.months), side="right")
    enquiries: list[tuple[np.ndarray, np.ndarray, int]] = []
    for month in range(timeline.months):
        active = int(active_by_month[month])
        if active:
            inputs = _inputs(people, births, state, month, active, timeline)
            enquiry, acquisition = monthly_probabilities(inputs)
            draws = rng.random(acquisition.shape)
            customers, products = np.nonzero(draws < acquisition)
            enquiring = np.nonzero(rng.random(enquiry.shape) < enquiry)
            enquiries.append((enquiring[0], enquiring[1], month))
            state.enquired[enquiring] = month
            _acquire(lifetimes_rng, state, month, customers, products)
        _close_due(state, month)
        if on_month is not None:
            on_month(month + 1)
    holdings = state.holdings.trimmed()
    return Simulation(
        holdings=SimulatedHoldings(**holdings),
        enquiries=SimulatedEnquiries(
            customer=np.concatenate([c for c, _, _ in enquiries] or [np.zeros(0, np.int64)]),
            product=np.concatenate([p for _, p, _ in enquiries] or [np.zeros(0, np.int64)]),
            month=np.concatenate(
                [np.full(len(c), m) for c, _, m in enquiries] or [np.zeros(0, np.int64)]
            ),
        ),
        inputs_on_as_of=_inputs(people, births, state, timeline.months, people.count, timeline),
    )
