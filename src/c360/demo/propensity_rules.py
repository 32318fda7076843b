"""The per-product rules behind the propensities: a customer's monthly *intent* per product.

Each rule multiplies a base monthly rate by factors of observable attributes. They read
like the bank's own folklore: a card follows an account, home insurance follows a
mortgage within weeks, a washing machine follows a new home, travel insurance follows a
taste for travel and a credit card. ``propensity.py`` turns intent into the probabilities
of an enquiry and of an acquisition; read its docstring first.

Rules see organisations through the same inputs: age factors are 1 for them, they have a
household of one and no interests, and ``ORGANISATION_FACTORS`` scales (or zeroes) what
only a person would buy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from c360.demo.propensity import PropensityInputs

PRODUCT_CODES: tuple[str, ...] = (
    "current_account",
    "savings_account",
    "term_deposit",
    "debit_card",
    "credit_card",
    "personal_loan",
    "car_loan",
    "mortgage",
    "home_insurance",
    "life_insurance",
    "travel_insurance",
    "car_insurance",
    "investment_fund",
    "brokerage_account",
    "smartphone",
    "laptop",
    "television",
    "washing_machine",
)
PRODUCT_INDEX = {code: index for index, code in enumerate(PRODUCT_CODES)}
INTEREST_TAGS: tuple[str, ...] = (
    "travel",
    "tennis",
    "reading",
    "cooking",
    "cycling",
    "gaming",
    "music",
    "gardening",
    "photography",
    "running",
    "investing",
    "cars",
    "technology",
)
_INTEREST_INDEX = {tag: index for index, tag in enumerate(INTEREST_TAGS)}

# What an organisation does with a product compared with a person (0: never).
ORGANISATION_FACTORS = {
    "current_account": 1.0,
    "savings_account": 0.8,
    "term_deposit": 1.5,
    "debit_card": 0.5,
    "credit_card": 1.0,
    "personal_loan": 1.2,
    "car_loan": 2.0,
    "mortgage": 0.0,
    "home_insurance": 0.0,
    "life_insurance": 0.0,
    "travel_insurance": 0.3,
    "car_insurance": 1.5,
    "investment_fund": 0.8,
    "brokerage_account": 0.5,
    "smartphone": 0.5,
    "laptop": 0.6,
    "television": 0.1,
    "washing_machine": 0.0,
}


_OLDEST = 130
_ORGANISATION_AGE = _OLDEST + 1  # a row of the age tables whose factor is always 1


@cache
def _age_table(brackets: tuple[tuple[int, float], ...]) -> np.ndarray:
    ages = np.arange(_OLDEST + 2)
    edges = [start for start, _ in brackets[1:]]
    table = np.asarray([factor for _, factor in brackets])[np.searchsorted(edges, ages, "right")]
    table[_ORGANISATION_AGE] = 1.0
    return table


class _Customers:
    """Factors of the inputs that rules multiply together, one value per customer."""

    def __init__(self, inputs: PropensityInputs) -> None:
        self._inputs = inputs
        self.newcomer = inputs.tenure_months == 0
        self.tenure_months = inputs.tenure_months
        self.household_size = inputs.household_size
        # One contiguous row per product: rules read products one at a time.
        self._held_months = np.ascontiguousarray(inputs.held_months.T)
        self._age_row = np.where(
            inputs.is_organisation, _ORGANISATION_AGE, np.clip(inputs.age, 0, _OLDEST)
        )

    def held(self, code: str) -> np.ndarray:
        return self._held_months[PRODUCT_INDEX[code]] >= 0

    def held_for(self, code: str, *, at_least: int = 0, at_most: int | None = None) -> np.ndarray:
        months = self._held_months[PRODUCT_INDEX[code]]
        within = months >= at_least
        if at_most is not None:
            within &= months <= at_most
        return within

    def likes(self, *tags: str) -> np.ndarray:
        return self._inputs.interests[:, [_INTEREST_INDEX[tag] for tag in tags]].any(axis=1)

    def by_income(self, factors: Sequence[float]) -> np.ndarray:
        """One factor per income level: low, lower middle, middle, upper middle, high."""
        return np.asarray(factors)[self._inputs.income_level]

    def by_age(self, brackets: Sequence[tuple[int, float]]) -> np.ndarray:
        """``(from_age, factor)`` brackets in ascending order; organisations get 1."""
        return _age_table(tuple(brackets))[self._age_row]

    def in_season(self, factors: dict[int, float], otherwise: float = 1.0) -> float:
        return factors.get(self._inputs.calendar_month, otherwise)


def when(condition: np.ndarray, factor: float) -> np.ndarray:
    return np.where(condition, factor, 1.0)


def _current_account(c: _Customers) -> np.ndarray:
    # Nearly everyone opens one in their first month; later only those who came for
    # something else.
    return np.where(c.newcomer, 0.80, 0.006) * c.by_age([(0, 1.3), (30, 1.0), (65, 0.7)])


def _savings_account(c: _Customers) -> np.ndarray:
    return (
        np.where(c.newcomer, 0.10, 0.0045)
        * c.by_income((0.5, 0.8, 1.0, 1.4, 1.8))
        * when(c.held_for("current_account", at_least=6), 1.8)
        * c.by_age([(0, 1.0), (50, 1.3)])
    )


def _term_deposit(c: _Customers) -> np.ndarray:
    return (
        0.0022
        * c.by_income((0.2, 0.5, 1.0, 2.0, 3.0))
        * c.by_age([(0, 0.6), (40, 1.0), (55, 2.0)])
        * when(c.held("savings_account"), 1.8)
    )


def _debit_card(c: _Customers) -> np.ndarray:
    # Comes with the account: most in the first two months, hardly anyone later.
    soon_after_account = c.held_for("current_account", at_most=2)
    rate = np.where(soon_after_account, 0.40, 0.006)
    return np.where(c.held("current_account"), rate, 0.0) * c.by_age(
        [(0, 1.2), (30, 1.0), (70, 0.6)]
    )


def _credit_card(c: _Customers) -> np.ndarray:
    return (
        np.where(c.held("current_account"), 0.0055, 0.0)
        * c.by_income((0.2, 0.6, 1.0, 1.6, 2.2))
        * c.by_age([(0, 0.2), (21, 1.0), (70, 0.3)])
        * np.where(c.held_for("current_account", at_least=6), 1.6, 0.6)
        * when(c.likes("travel"), 1.5)
        * when(c.held("debit_card"), 1.3)
    )


def _personal_loan(c: _Customers) -> np.ndarray:
    return (
        0.0035
        * c.by_income((0.6, 1.2, 1.2, 0.8, 0.4))
        * c.by_age([(0, 0.3), (21, 1.0), (45, 0.7), (60, 0.25)])
        * when(c.household_size >= 3, 1.5)
        * np.where(c.held("current_account"), 1.5, 0.5)
        * when(c.held("credit_card"), 1.2)
    )


def _car_loan(c: _Customers) -> np.ndarray:
    return (
        0.0018
        * c.by_income((0.2, 0.6, 1.0, 1.3, 1.0))
        * c.by_age([(0, 0.1), (23, 1.0), (65, 0.2)])
        * when(c.likes("cars"), 4.0)
        * when(c.household_size >= 2, 1.4)
    )


def _mortgage(c: _Customers) -> np.ndarray:
    # Only between 25 and 60, and only with an income to repay it.
    return (
        0.0032
        * c.by_income((0.0, 0.2, 1.0, 1.8, 2.2))
        * c.by_age([(0, 0.0), (25, 1.0), (28, 1.7), (43, 1.0), (51, 0.5), (61, 0.0)])
        * when(c.household_size >= 2, 2.0)
        * when(c.held_for("current_account", at_least=12), 1.5)
        * when(c.held("savings_account"), 1.3)
    )


def _home_insurance(c: _Customers) -> np.ndarray:
    without_mortgage = (
        0.0008 * when(c.household_size >= 2, 1.5) * c.by_income((0.5, 0.8, 1.0, 1.2, 1.5))
    )
    with_mortgage = np.where(c.held_for("mortgage", at_most=2), 0.35, 0.012)
    return np.where(c.held("mortgage"), with_mortgage, without_mortgage)


def _life_insurance(c: _Customers) -> np.ndarray:
    return (
        np.where(c.held_for("mortgage", at_most=3), 0.10, 0.0012)
        * when(c.household_size >= 3, 2.0)
        * c.by_income((0.4, 0.7, 1.0, 1.3, 1.5))
        * c.by_age([(0, 0.1), (25, 1.0), (30, 1.4), (56, 0.8), (66, 0.1)])
    )


def _travel_insurance(c: _Customers) -> np.ndarray:
    return (
        0.0012
        * when(c.likes("travel"), 6.0)
        * when(c.held("credit_card"), 1.8)
        * c.by_income((0.4, 0.7, 1.0, 1.3, 1.6))
        * c.in_season({5: 2.5, 6: 2.5, 7: 2.5, 8: 1.8, 12: 1.3}, otherwise=0.6)
    )


def _car_insurance(c: _Customers) -> np.ndarray:
    after_car_loan = c.held_for("car_loan", at_most=2)
    return np.where(after_car_loan, 0.45, 0.0010 * when(c.likes("cars"), 3.0)) * c.by_age(
        [(0, 0.0), (18, 1.0), (80, 0.3)]
    )


def _investment_fund(c: _Customers) -> np.ndarray:
    return (
        0.0012
        * c.by_income((0.1, 0.25, 0.6, 1.8, 3.5))
        * when(c.tenure_months >= 36, 2.0)
        * when(c.held_for("savings_account", at_least=12), 1.8)
        * when(c.likes("investing"), 3.0)
        * c.by_age([(0, 0.7), (35, 1.3), (70, 0.8)])
    )


def _brokerage_account(c: _Customers) -> np.ndarray:
    return (
        0.0006
        * when(c.likes("investing"), 8.0)
        * c.by_income((0.1, 0.3, 0.7, 1.5, 2.5))
        * c.by_age([(0, 1.4), (60, 0.6)])
        * when(c.held("investment_fund"), 2.0)
    )


def _replacement(c: _Customers, code: str, *, first: float, after: int, again: float) -> np.ndarray:
    """Goods are bought again: rarely soon after the last purchase, more often once it has aged."""
    aged = c.held_for(code, at_least=after)
    return np.where(c.held(code), np.where(aged, again, again / 30), first)


def _smartphone(c: _Customers) -> np.ndarray:
    return (
        _replacement(c, "smartphone", first=0.005, after=24, again=0.015)
        * c.by_age([(0, 1.6), (30, 1.0), (50, 0.6), (70, 0.25)])
        * when(c.likes("technology"), 2.0)
        * c.in_season({11: 1.8, 12: 1.8})
    )


def _laptop(c: _Customers) -> np.ndarray:
    return (
        _replacement(c, "laptop", first=0.0018, after=36, again=0.006)
        * when(c.likes("gaming", "technology", "photography"), 4.0)
        * c.by_age([(0, 1.3), (45, 1.0), (70, 0.5)])
        * when(c.household_size >= 3, 1.3)
        * c.in_season({9: 1.4, 11: 1.6, 12: 1.6})
    )


def _television(c: _Customers) -> np.ndarray:
    return (
        _replacement(c, "television", first=0.0015, after=60, again=0.004)
        * when(c.household_size >= 2, 1.5)
        * when(c.likes("gaming"), 1.5)
        * when(c.held_for("mortgage", at_most=6), 4.0)
        * c.in_season({11: 2.0, 12: 2.0})
    )


def _washing_machine(c: _Customers) -> np.ndarray:
    return (
        _replacement(c, "washing_machine", first=0.0012, after=84, again=0.004)
        * when(c.household_size >= 3, 1.6)
        * when(c.held_for("mortgage", at_most=6), 8.0)
    )


_RULES: dict[str, Callable[[_Customers], np.ndarray]] = {
    "current_account": _current_account,
    "savings_account": _savings_account,
    "term_deposit": _term_deposit,
    "debit_card": _debit_card,
    "credit_card": _credit_card,
    "personal_loan": _personal_loan,
    "car_loan": _car_loan,
    "mortgage": _mortgage,
    "home_insurance": _home_insurance,
    "life_insurance": _life_insurance,
    "travel_insurance": _travel_insurance,
    "car_insurance": _car_insurance,
    "investment_fund": _investment_fund,
    "brokerage_account": _brokerage_account,
    "smartphone": _smartphone,
    "laptop": _laptop,
    "television": _television,
    "washing_machine": _washing_machine,
}
_ORGANISATION_FACTORS = np.array([ORGANISATION_FACTORS[code] for code in PRODUCT_CODES])


def monthly_intent(inputs: PropensityInputs) -> np.ndarray:
    """Each customer's monthly intent per product, ``(customers, products)``, before funnels."""
    customers = _Customers(inputs)
    intent = np.stack([_RULES[code](customers) for code in PRODUCT_CODES], axis=1)
    organisations = np.flatnonzero(inputs.is_organisation)
    intent[organisations] *= _ORGANISATION_FACTORS
    return intent
