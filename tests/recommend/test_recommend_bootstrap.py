"""``c360 serve --demo`` without a model trains one in the background, and it is served."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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


PARENT = """
import datetime as dt, sys, time
from pathlib import Path
from c360.recommend.bootstrap import start_background_training
trainer = start_background_training(
    Path(sys.argv[1]), database_url=sys.argv[2], as_of=dt.date(2026, 11, 1)
)
print(trainer.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal")
def test_the_trainer_ends_when_the_server_is_killed(
    recommend_engine: AsyncEngine, tmp_path: Path
) -> None:
    # As uvicorn does after a graceful shutdown: SIGTERM with the default handler, no finally.
    url = recommend_engine.url.render_as_string(hide_password=False)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "models"), url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    trainer_pid = int(parent.stdout.readline())
    assert _alive(trainer_pid)
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=30)
    parent.stdout.close()
    deadline = time.monotonic() + 30
    while _alive(trainer_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(trainer_pid), "the trainer outlived the server"


def _alive(pid: int) -> bool:
    """Running (the trainer is the parent's child, so init reaps it, never this test)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
