"""The serving shortcuts change no answer: one combined booster scores exactly what the
per-product boosters score, and the one-statement page read equals the separate reads."""

from __future__ import annotations

import datetime as dt

import lightgbm as lgb
import numpy as np
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.customers.models import Channel
from c360.recommend.features import read_snapshot
from c360.recommend.model import PropensityModel, combine_boosters
from c360.recommend.models import OfferResponse, OfferResponseKind
from c360.recommend.page import read_page
from c360.recommend.responses import record_offer_response
from c360.recommend.service import read_consents
from c360.recommend.suppression import read_recent_responses

AS_OF = dt.date(2026, 11, 1)


async def _snapshot(engine: AsyncEngine, model: PropensityModel) -> object:
    async with engine.connect() as connection:
        return await read_snapshot(connection, AS_OF, product_codes=model.product_codes)


async def test_the_combined_booster_scores_exactly_as_the_product_boosters(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel
) -> None:
    snapshot = await _snapshot(recommend_engine, recommend_model)
    features = snapshot.matrix(recommend_model.interest_vocabulary)  # type: ignore[attr-defined]
    boosters = [recommend_model.boosters[c] for c in recommend_model.product_codes]
    trained = [j for j, b in enumerate(boosters) if b is not None]
    assert len(trained) >= 3
    # One product without a booster, one with fewer trees than the rest.
    boosters[trained[0]] = None
    shorter = boosters[trained[1]]
    assert shorter is not None
    boosters[trained[1]] = lgb.Booster(model_str=shorter.model_to_string(num_iteration=4))
    combined = combine_boosters(boosters)
    assert combined is not None
    together = combined.predict(features, num_threads=1)
    assert together.shape == (len(features), len(boosters))
    for j, booster in enumerate(boosters):
        if booster is not None:
            alone = booster.predict(features, num_threads=1)
            assert np.abs(together[:, j] - alone).max() <= 1e-9


async def test_scoring_some_rows_gives_those_rows_of_scoring_all(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel
) -> None:
    snapshot = await _snapshot(recommend_engine, recommend_model)
    everyone = recommend_model.predict(snapshot)  # type: ignore[arg-type]
    rows = np.arange(len(everyone)) % 3 == 0
    np.testing.assert_array_equal(recommend_model.predict(snapshot, rows=rows), everyone[rows])  # type: ignore[arg-type]
    features = snapshot.matrix(recommend_model.interest_vocabulary)  # type: ignore[attr-defined]
    for j, code in enumerate(recommend_model.product_codes):
        booster = recommend_model.boosters[code]
        expected = (
            booster.predict(features, num_threads=1)
            if booster is not None
            else np.full(len(features), recommend_model.base_rates[j])
        )
        expected[snapshot.held[:, j]] = 0.0  # type: ignore[attr-defined]
        assert np.abs(everyone[:, j] - expected).max() <= 1e-9


async def test_a_page_is_read_in_one_statement_that_agrees_with_the_separate_reads(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel
) -> None:
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    snapshot = await _snapshot(recommend_engine, recommend_model)
    ids = snapshot.customer_ids.tolist()[::7][:60]  # type: ignore[attr-defined]
    recorded = [
        await record_offer_response(
            recommend_engine,
            customer_id=ids[0],
            product_code=recommend_model.product_codes[k],
            response=kind,
            channel=Channel.WEB,
            now=now - dt.timedelta(days=days),
        )
        for k, kind, days in [
            (0, OfferResponseKind.REJECTED, 3),
            (1, OfferResponseKind.IGNORED, 1),
            (2, OfferResponseKind.ACCEPTED, 400),  # too old to be read
        ]
    ]
    try:
        await _compare_page_reads(recommend_engine, recommend_model, ids, now)
    finally:
        async with recommend_engine.begin() as connection:
            await connection.execute(
                OfferResponse.__table__.delete().where(
                    OfferResponse.id.in_([r.id for r in recorded])
                )
            )


async def _compare_page_reads(
    recommend_engine: AsyncEngine,
    recommend_model: PropensityModel,
    ids: list[int],
    now: dt.datetime,
) -> None:
    consents_at = dt.datetime.combine(AS_OF, dt.time.max, tzinfo=dt.UTC)
    since = now - dt.timedelta(days=90)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sync_engine = recommend_engine.sync_engine
    async with recommend_engine.connect() as connection:
        event.listen(sync_engine, "before_cursor_execute", count)
        try:
            page = await read_page(
                connection,
                customer_ids=[*ids, 10**9],  # an unknown id is skipped
                as_of=AS_OF,
                product_codes=recommend_model.product_codes,
                consents_at=consents_at,
                responses_since=since,
            )
        finally:
            event.remove(sync_engine, "before_cursor_execute", count)
        separate = await read_snapshot(
            connection, AS_OF, customer_ids=ids, product_codes=recommend_model.product_codes
        )
        consents = await read_consents(connection, ids, consents_at)
        responses = await read_recent_responses(connection, ids, since)
    assert len(statements) == 1
    assert page.snapshot.customer_ids.tolist() == sorted(ids)
    for name in ("profile", "held_months", "enquiry_months"):
        np.testing.assert_array_equal(getattr(page.snapshot, name), getattr(separate, name))
    for name in ("interests", "party_types", "income_bands", "segments", "statuses"):
        assert getattr(page.snapshot, name) == getattr(separate, name)
    assert page.consents == consents and consents
    assert page.responses == responses
    assert [r.response for r in page.responses[ids[0]]] == [
        OfferResponseKind.REJECTED,
        OfferResponseKind.IGNORED,
    ]
    # The pipeline turns only the customers who consent to marketing into features.
    some = sorted(ids)[::2]
    part = page.snapshot_of(set(some))
    rows = np.searchsorted(page.snapshot.customer_ids, some)
    assert part.customer_ids.tolist() == some
    for name in ("profile", "held_months", "enquiry_months"):
        np.testing.assert_array_equal(getattr(part, name), getattr(page.snapshot, name)[rows])
    assert part.segments == tuple(page.snapshot.segments[i] for i in rows)
