"""What a teller reads, and the order offers come in, on constructed customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from c360.recommend.eligibility import EligibilityRules
from c360.recommend.features import NO_ENQUIRY, PROFILE_FEATURES, Snapshot
from c360.recommend.model import PropensityModel
from c360.recommend.reasons import explain, odds, times
from c360.recommend.service import CatalogueProduct, arbitrate, rank

CODES = ("current_account", "home_insurance", "mortgage", "term_deposit")
NAMES = {
    "current_account": "Current account",
    "home_insurance": "Home insurance",
    "mortgage": "Mortgage",
    "term_deposit": "Term deposit",
}
MORTGAGE, HOME_INSURANCE = CODES.index("mortgage"), CODES.index("home_insurance")


def _snapshot(held: set[str], enquiry: dict[str, int] | None = None) -> Snapshot:
    enquiry = enquiry or {}
    profile = np.zeros((1, len(PROFILE_FEATURES)), dtype=np.float32)
    profile[0, PROFILE_FEATURES.index("age")] = 41
    return Snapshot(
        cutoff=dt.date(2026, 11, 1),
        customer_ids=np.array([1]),
        product_codes=CODES,
        profile=profile,
        held_months=np.array([[24 if c in held else -1 for c in CODES]], dtype=np.float32),
        enquiry_months=np.array([[enquiry.get(c, NO_ENQUIRY) for c in CODES]], dtype=np.float32),
        interests=(frozenset(),),
        party_types=("person",),
        income_bands=("middle",),
        segments=("mass",),
        statuses=("active",),
    )


def _model(lift: np.ndarray | None = None) -> PropensityModel:
    return PropensityModel(
        product_codes=CODES,
        interest_vocabulary=(),
        window_months=3,
        boosters=dict.fromkeys(CODES),
        base_rates=np.array([0.02, 0.01, 0.01, 0.004]),
        segment_rates={"mass": np.array([0.03, 0.012, 0.008, 0.002])},
        lift=np.ones((4, 4)) if lift is None else lift,
    )


def _reasons(snapshot: Snapshot, model: PropensityModel, column: int, score: float) -> tuple:
    return explain(model, snapshot, 0, column, score, personalised=True, names=NAMES)


def test_a_held_product_that_drives_the_offer_is_named_with_the_lift() -> None:
    lift = np.ones((4, 4))
    lift[MORTGAGE, HOME_INSURANCE] = 5.2
    reasons = _reasons(_snapshot({"mortgage"}), _model(lift), HOME_INSURANCE, 0.04)
    assert reasons == (
        "holds a mortgage but no home insurance; customers like this add it at 4x the usual rate",
    )


def test_a_recent_enquiry_is_a_reason_of_its_own() -> None:
    snapshot = _snapshot(set(), enquiry={"mortgage": 2})
    assert _reasons(snapshot, _model(), MORTGAGE, 0.012) == ("asked about mortgage 2 months ago",)
    this_month = _snapshot(set(), enquiry={"mortgage": 0})
    assert _reasons(this_month, _model(), MORTGAGE, 0.012) == ("asked about mortgage this month",)


def test_a_lift_without_a_driving_holding_is_stated_plainly() -> None:
    assert _reasons(_snapshot(set()), _model(), MORTGAGE, 0.016) == (
        "customers like this take up mortgage at 1.6x the usual rate",
    )


def test_an_unlikely_offer_reads_as_odds_never_as_zero_percent() -> None:
    reasons = _reasons(_snapshot(set()), _model(), MORTGAGE, 0.0021)
    assert reasons == ("about 1 in 480 customers like this take up mortgage within 3 months",)
    assert "0.0%" not in reasons[0]


def test_popularity_offers_say_where_they_come_from() -> None:
    reasons = explain(
        _model(), _snapshot(set()), 0, MORTGAGE, 0.008, personalised=False, names=NAMES
    )
    assert reasons == (
        "popular with mass customers: about 1 in 120 take up mortgage within 3 months",
    )


@pytest.mark.parametrize(
    ("probability", "text"),
    [
        (0.35, "about 35%"),
        (0.1, "about 10%"),
        (0.0066, "about 1 in 150"),
        (0.0012, "about 1 in 830"),
    ],
)
def test_odds(probability: float, text: str) -> None:
    assert odds(probability) == text


def test_times() -> None:
    assert (times(4.4), times(1.64)) == ("4x", "1.6x")


def test_value_reorders_likely_offers_but_never_lifts_an_unlikely_one_over_them() -> None:
    values = np.array([110.0, 160.0, 1900.0, 95.0])
    allowed = np.array([True, True, True, True])
    # The mortgage is worth 12x the insurance but 50x less likely: the insurance goes first.
    assert rank(np.array([0.05, 0.10, 0.002, 0.0005]), values, allowed) == [1, 0, 2]
    # Comparably likely (at least half as likely as the best): value decides.
    assert rank(np.array([0.05, 0.10, 0.06, 0.0005]), values, allowed) == [2, 1, 0]
    # Below 1 in 1,000 nothing is offered; a disallowed product never is.
    assert rank(np.array([0.0009, 0.0, 0.0, 0.0]), values, allowed) == []
    assert rank(np.array([0.05, 0.10, 0.06, 0.01]), values, ~allowed) == []


def test_arbitration_orders_and_caps_by_the_allowance() -> None:
    products = {
        c: CatalogueProduct(NAMES[c], Decimal(v))
        for c, v in zip(CODES, (110, 160, 1900, 95), strict=True)
    }
    model = _model()
    model.base_rates = np.array([0.05, 0.10, 0.002, 0.03])
    common = {
        "first": 5,
        "products": products,
        "consents": {1: {"marketing", "profiling"}},
        "rules": EligibilityRules(),
        "model_version": "v1",
    }
    offers = arbitrate(_snapshot({"mortgage"}), model, suppressed={}, **common)[1]
    assert [o.product_code for o in offers] == ["home_insurance", "current_account", "term_deposit"]
    assert offers[0].expected_value == Decimal("16.00")
    capped = arbitrate(
        _snapshot({"mortgage"}),
        model,
        suppressed={1: {"home_insurance"}},
        allowance={1: 1},
        **common,
    )[1]
    assert [o.product_code for o in capped] == ["current_account"]
