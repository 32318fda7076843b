"""Artefacts: a saved model loads back identical, and a newer artefact is picked up live."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.recommend.artefact import ArtefactStore, LatestModel
from c360.recommend.features import read_snapshot
from c360.recommend.model import PropensityModel
from c360.recommend.service import Recommender


async def test_round_trip_predicts_the_same_and_keeps_metadata(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel, tmp_path: Path
) -> None:
    store = ArtefactStore(tmp_path)
    version = store.save(recommend_model, metrics={"map_at_3": 0.5})
    loaded = store.load(version)
    async with recommend_engine.connect() as connection:
        snapshot = await read_snapshot(
            connection, dt.date(2026, 11, 1), product_codes=recommend_model.product_codes
        )
    np.testing.assert_allclose(loaded.predict(snapshot), recommend_model.predict(snapshot))
    metadata = json.loads((tmp_path / version / "metadata.json").read_text())
    assert metadata["version"] == version
    assert metadata["features"] == recommend_model.feature_names
    assert metadata["cutoffs"] == recommend_model.metadata["cutoffs"]
    assert metadata["metrics"] == {"map_at_3": 0.5}
    assert dt.datetime.fromisoformat(metadata["trained_at"]).tzinfo is not None


async def test_a_newer_artefact_is_served_without_a_restart(
    recommend_engine: AsyncEngine, recommend_model: PropensityModel, tmp_path: Path
) -> None:
    store = ArtefactStore(tmp_path)
    recommender = Recommender(LatestModel(store, check_seconds=0))
    async with recommend_engine.connect() as connection:
        ids = [1, 2, 3]
        assert await recommender.recommend(connection, customer_ids=ids) == {1: [], 2: [], 3: []}
        first = store.save(recommend_model)
        assert recommender.latest.get() is not None and recommender.latest.version == first
        second = store.save(recommend_model)
        offers = await recommender.recommend(
            connection, customer_ids=ids, first=5, as_of=dt.date(2026, 11, 1)
        )
    assert second > first and store.latest_version() == second
    assert recommender.latest.version == second
    assert {o.model_version for chosen in offers.values() for o in chosen} <= {second}


def test_the_model_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: object
) -> None:
    monkeypatch.setenv("C360_MODEL_DIR", str(tmp_path / "elsewhere"))  # type: ignore[attr-defined]
    assert ArtefactStore().directory == tmp_path / "elsewhere"
    assert ArtefactStore().versions() == []
    assert Recommender.from_model_dir().latest.store.directory == tmp_path / "elsewhere"
