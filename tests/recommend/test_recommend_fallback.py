"""Customers without history, or without profiling consent, get their segment's popular products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from c360.recommend.eligibility import EligibilityRules
from c360.recommend.features import NO_ENQUIRY, PROFILE_FEATURES, Snapshot
from c360.recommend.model import PropensityModel
from c360.recommend.service import CatalogueProduct, arbitrate

CODES = ("current_account", "mortgage", "savings_account")


def _snapshot(held: list[bool], segment: str = "affluent") -> Snapshot:
    profile = np.zeros((1, len(PROFILE_FEATURES)), dtype=np.float32)
    profile[0, PROFILE_FEATURES.index("age")] = 35
    return Snapshot(
        cutoff=dt.date(2026, 11, 1),
        customer_ids=np.array([7]),
        product_codes=CODES,
        profile=profile,
        held_months=np.array([[3 if h else -1 for h in held]], dtype=np.float32),
        enquiry_months=np.full((1, 3), NO_ENQUIRY, dtype=np.float32),
        interests=(frozenset(),),
        party_types=("person",),
        income_bands=("middle",),
        segments=(segment,),
        statuses=("active",),
    )


MODEL = PropensityModel(
    product_codes=CODES,
    interest_vocabulary=(),
    window_months=3,
    boosters=dict.fromkeys(CODES),
    base_rates=np.array([0.30, 0.01, 0.05]),
    segment_rates={"affluent": np.array([0.02, 0.03, 0.20])},
    lift=np.ones((3, 3)),
)
PRODUCTS = {
    code: CatalogueProduct(code.replace("_", " ").capitalize(), Decimal(100)) for code in CODES
}


def _offers(snapshot: Snapshot, consents: set[str]) -> list:
    return arbitrate(
        snapshot,
        MODEL,
        first=3,
        products=PRODUCTS,
        consents={7: consents},
        suppressed={},
        rules=EligibilityRules(),
        model_version="v1",
    )[7]


def test_no_history_falls_back_to_popularity_within_the_segment() -> None:
    offers = _offers(_snapshot([False, False, False]), {"marketing", "profiling"})
    # The segment's order (savings, mortgage, current), not the overall one (current first).
    assert [o.product_code for o in offers] == ["savings_account", "mortgage", "current_account"]
    assert offers[0].score == 0.20 and offers[0].expected_value == Decimal("20.00")
    assert offers[0].reasons == (
        "popular with affluent customers: about 20% take up savings account within 3 months",
    )


def test_without_profiling_consent_a_customer_with_history_is_not_profiled() -> None:
    offers = _offers(_snapshot([True, False, False]), {"marketing"})
    assert [o.product_code for o in offers] == ["savings_account", "mortgage"]
    assert all(o.reasons[0].startswith("popular with") for o in offers)


def test_without_marketing_consent_nothing_is_offered() -> None:
    assert _offers(_snapshot([False, False, False]), {"profiling"}) == []
