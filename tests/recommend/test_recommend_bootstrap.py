"""``c360 serve --demo`` without a model trains one in the background, and it is served."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.models import Customer
from c360.recommend.artefact import ArtefactStore
from c360.recommend.bootstrap import (
    needs_training,
    start_background_training,
    training_command,
)
from c360.recommend.model import PropensityModel
from c360.recommend.service import Recommender

AS_OF = dt.date(2026, 11, 1)


def test_the_command_is_this_interpreters_c360_recommend_train(tmp_path: Path) -> None:
    assert training_command(tmp_path, as_of=AS_OF, snapshots=2, rounds=5) == [
        sys.executable,
        "-m",
        "c360",
        "recommend",
        "train",
        "--as-of",
        "2026-11-01",
        "--model-dir",
        str(tmp_path),
        "--snapshots",
        "2",
        "--rounds",
        "5",
    ]


def test_nothing_is_started_when_an_artefact_exists(
    tmp_path: Path, recommend_model: PropensityModel
) -> None:
    assert needs_training(tmp_path / "missing")
    ArtefactStore(tmp_path).save(recommend_model)
    assert not needs_training(tmp_path)
    started = start_background_training(
        tmp_path, database_url="sqlite+aiosqlite:///unused.db", as_of=AS_OF
    )
    assert started is None
    assert len(ArtefactStore(tmp_path).versions()) == 1


async def test_an_empty_model_dir_gets_a_model_that_a_running_recommender_picks_up(
    recommend_engine: AsyncEngine, tmp_path: Path
) -> None:
    recommender = Recommender.from_model_dir(tmp_path, check_seconds=0)
    async with recommend_engine.connect() as connection:
        ids = list((await connection.scalars(select(Customer.id).limit(200))).all())
        before = await recommender.recommend(connection, customer_ids=ids, as_of=AS_OF)
    assert all(offers == [] for offers in before.values())

    url = recommend_engine.url.render_as_string(hide_password=False)
    trainer = start_background_training(
        tmp_path, database_url=url, as_of=AS_OF, snapshots=2, rounds=5
    )
    assert trainer is not None
    assert trainer.wait(timeout=300) == 0

    version = ArtefactStore(tmp_path).latest_version()
    assert version is not None
    async with recommend_engine.connect() as connection:
        after = await recommender.recommend(connection, customer_ids=ids, as_of=AS_OF)
    offered = [offer for offers in after.values() for offer in offers]
    assert offered, "the new model is served without a restart"
    assert {offer.model_version for offer in offered} == {version}
