"""Held and ineligible products never reach a customer, whatever the scores say."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.customers.models import Channel
from c360.recommend.eligibility import EligibilityRules, ProductRule, load_rules
from c360.recommend.features import (
    INCOME_LEVELS,
    NO_ENQUIRY,
    PROFILE_FEATURES,
    SEGMENTS,
    Snapshot,
    read_snapshot,
)
from c360.recommend.model import PropensityModel
from c360.recommend.models import OfferResponse, OfferResponseKind
from c360.recommend.responses import record_offer_response
from c360.recommend.service import (
    LIKELY_SHARE,
    MAX_OFFERS,
    MIN_PROBABILITY,
    CatalogueProduct,
    Offer,
    arbitrate,
    read_consents,
    recommend,
)

RULES = load_rules()
CODES = tuple(sorted(RULES.products))
AGE = PROFILE_FEATURES.index("age")


def _obeys(rule: ProductRule, snapshot: Snapshot, row: int) -> bool:
    """The rule, restated one customer at a time."""
    person = snapshot.party_types[row] == "person"
    age = snapshot.profile[row, AGE]
    held = {c for c, h in zip(snapshot.product_codes, snapshot.held[row], strict=True) if h}
    return (
        snapshot.statuses[row] != "closed"
        and snapshot.party_types[row] in rule.parties
        and not (person and rule.min_age is not None and age < rule.min_age)
        and not (person and rule.max_age is not None and age > rule.max_age)
        and not (
            person
            and rule.income_bands is not None
            and snapshot.income_bands[row] not in rule.income_bands
        )
        and (not rule.requires_any or bool(held & set(rule.requires_any)))
        and not held & set(rule.excluded_by)
    )


def assert_offers_allowed(
    offers: dict[int, list[Offer]],
    snapshot: Snapshot,
    rules: EligibilityRules,
    *,
    first: int,
    consents: dict[int, set[str]],
    suppressed: dict[int, set[str]],
) -> None:
    rows = {c: i for i, c in enumerate(snapshot.customer_ids.tolist())}
    for customer_id, chosen in offers.items():
        row = rows[customer_id]
        codes = [offer.product_code for offer in chosen]
        assert len(codes) == len(set(codes)) <= min(first, MAX_OFFERS)
        if chosen:
            assert "marketing" in consents.get(customer_id, set())
        for code in codes:
            assert not snapshot.held[row, snapshot.product_codes.index(code)], (
                "held product offered"
            )
            assert _obeys(rules.rule(code), snapshot, row), f"{code} is not eligible"
            assert code not in suppressed.get(customer_id, set())
        assert all(offer.score >= MIN_PROBABILITY for offer in chosen)


def expected_ranking(
    scores: dict[str, float], values: dict[str, float], *, first: int
) -> list[str]:
    """The arbitration rule restated: among eligible codes with their scores, the ones at
    least LIKELY_SHARE as likely as the best by expected value, then the rest by score."""
    usable = {c: p for c, p in scores.items() if p >= MIN_PROBABILITY}
    if not usable:
        return []
    top = max(usable.values())
    likely = [c for c, p in usable.items() if p >= LIKELY_SHARE * top]
    rest = [c for c in usable if c not in likely]
    likely.sort(key=lambda c: (-usable[c] * values[c], -usable[c], c))
    rest.sort(key=lambda c: (-usable[c], c))
    return (likely + rest)[: min(first, MAX_OFFERS)]


@st.composite
def pages(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(1, 6))
    p = len(CODES)
    rows = st.lists(st.booleans(), min_size=p, max_size=p)
    held = np.array(draw(st.lists(rows, min_size=n, max_size=n)), dtype=bool).reshape(n, p)
    profile = np.zeros((n, len(PROFILE_FEATURES)), dtype=np.float32)
    profile[:, AGE] = draw(st.lists(st.integers(-1, 100), min_size=n, max_size=n))
    ids = list(range(1, n + 1))
    purposes = st.sets(st.sampled_from(["marketing", "profiling"]))
    snapshot = Snapshot(
        cutoff=dt.date(2026, 11, 1),
        customer_ids=np.array(ids),
        product_codes=CODES,
        profile=profile,
        held_months=np.where(held, 5, -1).astype(np.float32),
        enquiry_months=np.full((n, p), NO_ENQUIRY, dtype=np.float32),
        interests=tuple(frozenset() for _ in ids),
        party_types=tuple(draw(st.sampled_from(["person", "organisation"])) for _ in ids),
        income_bands=tuple(draw(st.sampled_from([None, *INCOME_LEVELS])) for _ in ids),
        segments=tuple(draw(st.sampled_from(SEGMENTS)) for _ in ids),
        statuses=tuple(draw(st.sampled_from(["prospect", "active", "closed"])) for _ in ids),
    )
    # Distinct scores (no exact ties) so the restated rule's order is the only right one.
    unit = st.floats(0.0, 1.0).map(lambda x: round(x, 6))
    model = PropensityModel(
        product_codes=CODES,
        interest_vocabulary=(),
        window_months=3,
        boosters=dict.fromkeys(CODES),
        base_rates=np.array(draw(st.lists(unit, min_size=p, max_size=p))),
        segment_rates={},
        lift=np.array(
            draw(st.lists(st.lists(unit, min_size=p, max_size=p), min_size=p, max_size=p))
        ),
    )
    values = st.decimals(0, 5000, places=2)
    return {
        "snapshot": snapshot,
        "model": model,
        "first": draw(st.integers(0, 8)),
        "products": {c: CatalogueProduct(c.title(), draw(values)) for c in CODES},
        "consents": {c: draw(purposes) for c in ids},
        "suppressed": {c: draw(st.sets(st.sampled_from(CODES))) for c in ids},
    }


@settings(max_examples=300, deadline=None)
@given(page=pages())
def test_held_ineligible_and_suppressed_products_never_appear(page: dict) -> None:
    """Random holdings, ages, parties, income bands, statuses, consents, suppressions and
    scores through the real rules in eligibility.toml and the real arbitration."""
    snapshot: Snapshot = page["snapshot"]
    model: PropensityModel = page["model"]
    offers = arbitrate(
        snapshot,
        model,
        first=page["first"],
        products=page["products"],
        consents=page["consents"],
        suppressed=page["suppressed"],
        rules=RULES,
        model_version="v-test",
    )
    assert_offers_allowed(
        offers,
        snapshot,
        RULES,
        first=page["first"],
        consents=page["consents"],
        suppressed=page["suppressed"],
    )
    # And the order is the documented rule, on exactly the allowed products.
    values = {c: float(p.annual_value) for c, p in page["products"].items()}
    for row, customer_id in enumerate(snapshot.customer_ids.tolist()):
        eligible = {
            code: float(model.base_rates[j])  # no boosters, no segment rates: base rates
            for j, code in enumerate(CODES)
            if not snapshot.held[row, j]
            and _obeys(RULES.rule(code), snapshot, row)
            and code not in page["suppressed"][customer_id]
            and "marketing" in page["consents"][customer_id]
        }
        got = [offer.product_code for offer in offers[customer_id]]
        want = expected_ranking(eligible, values, first=page["first"])
        # Equal expected values may come in either order; compare the scores they carry.
        assert [(eligible[c], eligible[c] * values[c]) for c in got] == [
            (eligible[c], eligible[c] * values[c]) for c in want
        ]


async def test_no_demo_customer_is_offered_a_held_or_ineligible_product(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel
) -> None:
    as_of = dt.date(2026, 11, 1)
    async with recommend_engine.connect() as connection:
        snapshot = await read_snapshot(
            connection, as_of, product_codes=recommend_model.product_codes
        )
        ids = snapshot.customer_ids.tolist()
        offers = await recommend(
            connection, customer_ids=ids, first=5, model=recommend_model, as_of=as_of
        )
    assert sum(map(len, offers.values())) > len(ids)  # the check below has work to do
    async with recommend_engine.connect() as connection:
        consents = await read_consents(
            connection, ids, dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
        )
    assert_offers_allowed(offers, snapshot, RULES, first=5, consents=consents, suppressed={})


async def test_a_recorded_rejection_suppresses_the_offer_for_the_window(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel
) -> None:
    as_of = dt.date(2026, 11, 1)
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    async with recommend_engine.connect() as connection:
        ids = (await read_snapshot(connection, as_of)).customer_ids.tolist()
        offers = await recommend(
            connection, customer_ids=ids, first=3, model=recommend_model, now=now
        )
    customer_id, chosen = next((c, o) for c, o in offers.items() if len(o) == 3)
    rejected = chosen[0].product_code
    recorded = await record_offer_response(
        recommend_engine,
        customer_id=customer_id,
        product_code=rejected,
        response=OfferResponseKind.REJECTED,
        channel=Channel.BRANCH,
        now=now,
    )
    try:
        async with recommend_engine.connect() as connection:
            soon = await recommend(
                connection,
                customer_ids=[customer_id],
                first=3,
                model=recommend_model,
                now=now + dt.timedelta(days=89),
            )
            later = await recommend(
                connection,
                customer_ids=[customer_id],
                first=3,
                model=recommend_model,
                now=now + dt.timedelta(days=91),
            )
    finally:
        async with recommend_engine.begin() as connection:
            await connection.execute(
                OfferResponse.__table__.delete().where(OfferResponse.id == recorded.id)
            )
    assert rejected not in [offer.product_code for offer in soon[customer_id]]
    assert len(soon[customer_id]) == 3, "the next best product takes its place"
    assert rejected in [offer.product_code for offer in later[customer_id]]
