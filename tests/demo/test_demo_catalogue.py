"""The TOML definitions agree with the code that draws from them."""

from __future__ import annotations

from collections import Counter

from c360.demo.catalogue import load_catalogue, load_texts
from c360.demo.propensity import FUNNEL_CONVERSION, REPURCHASABLE
from c360.demo.propensity_rules import INTEREST_TAGS, ORGANISATION_FACTORS, PRODUCT_CODES


def test_products_cover_every_category_and_match_the_model() -> None:
    catalogue = load_catalogue()
    assert 14 <= len(catalogue.products) <= 20
    assert catalogue.product_codes == PRODUCT_CODES
    assert set(ORGANISATION_FACTORS) == set(PRODUCT_CODES)
    assert set(FUNNEL_CONVERSION) <= set(PRODUCT_CODES)
    categories = Counter(p.category for p in catalogue.products)
    assert set(categories) == {
        "deposit",
        "lending",
        "card",
        "insurance",
        "investment",
        "retail_goods",
    }
    retail = {p.code for p in catalogue.products if p.category == "retail_goods"}
    assert retail == REPURCHASABLE == set(catalogue.retail.models) == set(load_texts().defects)
    assert all(p.expected_annual_value > 0 for p in catalogue.products)


def test_interests_match_the_model_and_countries_the_brief() -> None:
    catalogue = load_catalogue()
    assert tuple(i.tag for i in catalogue.interests) == INTEREST_TAGS
    assert {c.code: c.locale for c in catalogue.countries} == {
        "PL": "pl_PL",
        "UA": "uk_UA",
        "ES": "es_ES",
        "GB": "en_GB",
    }
    assert {c.currency for c in catalogue.countries} == {"PLN", "UAH", "EUR", "GBP"}
    tiers = catalogue.loyalty.tiers
    assert [t.code for t in tiers] == ["bronze", "silver", "gold", "platinum"]
    assert tiers[0].threshold_points == 0
    assert all(
        a.threshold_points < b.threshold_points for a, b in zip(tiers, tiers[1:], strict=False)
    )
