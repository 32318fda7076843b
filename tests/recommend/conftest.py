"""A small demo load and a quickly trained model per backend, shared by the recommend tests."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.database import create_engine
from c360.demo import load_demo_data
from c360.recommend.artefact import ArtefactStore
from c360.recommend.model import PropensityModel, train_from_database

RECOMMEND_CUSTOMERS = 1500
RECOMMEND_SEED = 5
# The demo history runs to 2026-11-01; three-month label windows end by then.
LAST_TRAINING_CUTOFF = dt.date(2026, 8, 1)


@pytest.fixture(scope="session")
async def recommend_engine(database_factory: object) -> AsyncIterator[AsyncEngine]:
    url = await asyncio.to_thread(database_factory.create)  # type: ignore[attr-defined]
    engine = create_engine(url)
    await load_demo_data(
        engine, customers=RECOMMEND_CUSTOMERS, seed=RECOMMEND_SEED, secret_key="recommend-tests"
    )
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def recommend_model(recommend_engine: AsyncEngine) -> PropensityModel:
    async with recommend_engine.connect() as connection:
        return await train_from_database(
            connection, last_cutoff=LAST_TRAINING_CUTOFF, snapshots=3, rounds=15
        )


@pytest.fixture
def model_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recommend_model: PropensityModel
) -> tuple[Path, str]:
    """The session's model saved as the only artefact of the directory the server reads."""
    version = ArtefactStore(tmp_path).save(recommend_model)
    monkeypatch.setenv("C360_MODEL_DIR", str(tmp_path))
    return tmp_path, version
