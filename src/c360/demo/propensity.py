"""Acquisition propensities: the model the demo simulation draws from, kept as the oracle.

Month by month, the simulation draws every customer's product acquisitions (and product
enquiries) from the probabilities below, so the next-best-product evaluation can ask what
the *true* chances were at any cutoff. Everything the model reads is in the database:

==================  ============================================================
input               read from
==================  ============================================================
age                 ``customer.birth_date``, whole years on ``as_of``
income level        ``customer.income_band`` (organisations: ``segment``)
household size      ``customer.household_size``
interests           ``customer.interests``
tenure              months from ``customer_since_date``'s month to ``as_of``'s
held products       holdings open on ``as_of`` (``opened_date < as_of`` and
                    ``closed_date`` null or ``>= as_of``): product code -> opened date
recent enquiries    interactions with topic ``enquiry:<product code>``: the latest
                    per product before the month of ``as_of``
calendar month      ``as_of.month``
==================  ============================================================

Months are calendar months: "held for 2 months" on 1 May means opened in March. The
simulation draws on the first day of every month, so a cutoff on the first of a month
reproduces its draws exactly (``oracle.py`` reads these inputs from a database).

How a month's probabilities come about, for each customer and product:

1. *Intent* is a base rate times factors of those inputs (``propensity_rules``): e.g. a
   debit card needs a current account and mostly comes within two months of it; a mortgage
   needs age 25-60 and an income, and doubles with a household; home insurance jumps to
   0.35 a month in the two months after a mortgage.
2. Products people shop around for (``FUNNEL_CONVERSION``: loans, mortgage, credit card,
   deposits, investments, life cover) pass a funnel: an enquiry with probability
   ``ENQUIRY_SHARE * intent``, then in each of the ``ENQUIRY_WINDOW_MONTHS`` months after
   it, acquisition with the product's conversion rate; without a recent enquiry, only
   ``DIRECT_SHARE * intent``. Other products are acquired with probability ``intent``.
3. A product already held cannot be acquired again, except retail goods, which replace
   the one held (their intent rises as it ages). Nothing happens before
   ``customer_since_date``.

There are no hidden per-customer traits: two customers with the same inputs have the
same probabilities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from c360.demo.propensity_rules import INTEREST_TAGS, PRODUCT_CODES, PRODUCT_INDEX, monthly_intent
from c360.demo.timeline import month_index

INCOME_BANDS: tuple[str, ...] = ("low", "lower_middle", "middle", "upper_middle", "high")
# Organisations have no income band; their segment stands in for it.
ORGANISATION_INCOME_LEVELS = {"small_business": 2, "corporate": 4}
REPURCHASABLE: frozenset[str] = frozenset({"smartphone", "laptop", "television", "washing_machine"})
ENQUIRY_WINDOW_MONTHS = 3
ENQUIRY_SHARE = 0.7
DIRECT_SHARE = 0.3
# Monthly chance of acquiring after an enquiry, in each month of the window.
FUNNEL_CONVERSION = {
    "term_deposit": 0.40,
    "credit_card": 0.35,
    "personal_loan": 0.35,
    "car_loan": 0.30,
    "mortgage": 0.25,
    "life_insurance": 0.20,
    "investment_fund": 0.25,
    "brokerage_account": 0.30,
}
NO_ENQUIRY = 9_999
ENQUIRY_TOPIC_PREFIX = "enquiry:"
_MAX_PROBABILITY = 0.95

_REPURCHASABLE = np.array([code in REPURCHASABLE for code in PRODUCT_CODES])
_FUNNEL_COLUMNS = np.flatnonzero([code in FUNNEL_CONVERSION for code in PRODUCT_CODES])
_CONVERSION = np.array([FUNNEL_CONVERSION.get(code, 0.0) for code in PRODUCT_CODES])

__all__ = [
    "ENQUIRY_TOPIC_PREFIX",
    "PRODUCT_CODES",
    "CustomerProfile",
    "PropensityInputs",
    "acquisition_probabilities",
    "enquiry_probabilities",
    "inputs_at",
    "monthly_acquisition_probabilities",
    "monthly_probabilities",
]


@dataclass(frozen=True)
class CustomerProfile:
    """What the model knows about a customer besides holdings and enquiries (a ``customer`` row)."""

    party_type: str
    birth_date: dt.date | None
    income_band: str | None
    segment: str
    customer_since_date: dt.date
    household_size: int | None
    interests: Collection[str] = ()


@dataclass(frozen=True)
class PropensityInputs:
    """The model's inputs for many customers at one month, one row per customer.

    ``held_months`` and ``enquiry_months`` have one column per ``PRODUCT_CODES`` entry:
    months since the held holding opened (-1: not held) and since the latest enquiry
    (``NO_ENQUIRY``: none).
    """

    is_organisation: np.ndarray
    age: np.ndarray
    income_level: np.ndarray
    household_size: np.ndarray
    interests: np.ndarray
    tenure_months: np.ndarray
    held_months: np.ndarray
    enquiry_months: np.ndarray
    calendar_month: int


def monthly_probabilities(inputs: PropensityInputs) -> tuple[np.ndarray, np.ndarray]:
    """Monthly (enquiry, acquisition) probabilities, each ``(customers, products)``."""
    intent = monthly_intent(inputs)
    held = inputs.held_months >= 0
    is_customer = (inputs.tenure_months >= 0)[:, None]
    funnel_intent = intent[:, _FUNNEL_COLUMNS]
    funnel_months = inputs.enquiry_months[:, _FUNNEL_COLUMNS]
    recent_enquiry = (funnel_months >= 1) & (funnel_months <= ENQUIRY_WINDOW_MONTHS)

    acquisition = intent  # reused in place: the month's largest array
    acquisition[:, _FUNNEL_COLUMNS] = np.where(
        recent_enquiry & (funnel_intent > 0),
        _CONVERSION[_FUNNEL_COLUMNS],
        DIRECT_SHARE * funnel_intent,
    )
    acquisition *= is_customer & ~(held & ~_REPURCHASABLE)
    np.minimum(acquisition, _MAX_PROBABILITY, out=acquisition)

    enquiry = np.zeros_like(acquisition)
    may_enquire = is_customer & ~held[:, _FUNNEL_COLUMNS] & ~recent_enquiry
    enquiry[:, _FUNNEL_COLUMNS] = np.minimum(
        ENQUIRY_SHARE * funnel_intent * may_enquire, _MAX_PROBABILITY
    )
    return enquiry, acquisition


def acquisition_probabilities(inputs: PropensityInputs) -> np.ndarray:
    """Chance that each customer acquires each product during the month: (customers, products)."""
    return monthly_probabilities(inputs)[1]


def enquiry_probabilities(inputs: PropensityInputs) -> np.ndarray:
    """Probability that each customer enquires about each product during the month."""
    return monthly_probabilities(inputs)[0]


def _income_level(profile: CustomerProfile) -> int:
    if profile.party_type == "organisation":
        return ORGANISATION_INCOME_LEVELS.get(profile.segment, 2)
    if profile.income_band is None:
        return INCOME_BANDS.index("middle")
    return INCOME_BANDS.index(profile.income_band)


def _age(birth_date: dt.date | None, as_of: dt.date) -> int:
    if birth_date is None:
        return 0
    return (
        as_of.year
        - birth_date.year
        - ((as_of.month, as_of.day) < (birth_date.month, birth_date.day))
    )


def _months_by_product(dates: Mapping[str, dt.date], as_of_month: int, *, empty: int) -> np.ndarray:
    months = np.full(len(PRODUCT_CODES), empty, dtype=np.int64)
    for code, day in dates.items():
        if code not in PRODUCT_INDEX:
            raise ValueError(f"unknown product code {code!r}: the model knows {PRODUCT_CODES}")
        months[PRODUCT_INDEX[code]] = max(as_of_month - month_index(day), 0)
    return months


def inputs_at(
    as_of: dt.date,
    profiles: Sequence[CustomerProfile],
    held: Sequence[Mapping[str, dt.date]],
    enquiries: Sequence[Mapping[str, dt.date]] | None = None,
) -> PropensityInputs:
    """Model inputs for many customers on ``as_of`` (see the module docstring for each input).

    ``held[i]`` maps product codes to the opened date of customer ``i``'s open holding;
    ``enquiries[i]`` maps product codes to their latest enquiry before ``as_of``'s month.
    """
    current_month = month_index(as_of)
    enquiries = enquiries if enquiries is not None else [{}] * len(profiles)
    recent = [
        {code: day for code, day in dates.items() if month_index(day) < current_month}
        for dates in enquiries
    ]
    return PropensityInputs(
        is_organisation=np.array([p.party_type == "organisation" for p in profiles], dtype=bool),
        age=np.array([_age(p.birth_date, as_of) for p in profiles], dtype=np.int64),
        income_level=np.array([_income_level(p) for p in profiles], dtype=np.int64),
        household_size=np.array([p.household_size or 1 for p in profiles], dtype=np.int64),
        interests=np.array(
            [[tag in p.interests for tag in INTEREST_TAGS] for p in profiles], dtype=bool
        ).reshape(len(profiles), len(INTEREST_TAGS)),
        tenure_months=np.array(
            [current_month - month_index(p.customer_since_date) for p in profiles], dtype=np.int64
        ),
        held_months=np.array(
            [_months_by_product(dates, current_month, empty=-1) for dates in held], dtype=np.int64
        ).reshape(len(profiles), len(PRODUCT_CODES)),
        enquiry_months=np.array(
            [_months_by_product(dates, current_month, empty=NO_ENQUIRY) for dates in recent],
            dtype=np.int64,
        ).reshape(len(profiles), len(PRODUCT_CODES)),
        calendar_month=as_of.month,
    )


def monthly_acquisition_probabilities(
    profile: CustomerProfile,
    held: Mapping[str, dt.date],
    as_of: dt.date,
    *,
    enquiries: Mapping[str, dt.date] | None = None,
) -> dict[str, float]:
    """The true probability that the customer acquires each product in the month starting ``as_of``.

    ``held``: product code -> opened date of each holding open on ``as_of``;
    ``enquiries``: product code -> date of the latest ``enquiry:<code>`` interaction.
    Held products other than retail goods get 0.
    """
    inputs = inputs_at(as_of, [profile], [held], [enquiries or {}])
    row = acquisition_probabilities(inputs)[0]
    return {code: float(row[index]) for index, code in enumerate(PRODUCT_CODES)}
