"""``c360 recommend train`` and ``evaluate``, run as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine


def run_recommend(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "c360.recommend.cli", *args],
        env={**os.environ, "C360_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_train_stores_a_versioned_artefact(recommend_engine: AsyncEngine, tmp_path: Path) -> None:
    url = recommend_engine.url.render_as_string(hide_password=False)
    args = ("train", "--as-of", "2026-11-01", "--snapshots", "2", "--model-dir", str(tmp_path))
    result = run_recommend(*args, database_url=url)
    assert result.returncode == 0, result.stderr
    trained = json.loads(result.stdout.splitlines()[-1])
    assert trained["last_cutoff"] == "2026-08-01"
    metadata = json.loads((tmp_path / trained["version"] / "metadata.json").read_text())
    assert metadata["cutoffs"] == ["2026-07-01", "2026-08-01"]


def test_evaluate_writes_a_report_and_ends_with_json(tmp_path: Path) -> None:
    args = ("evaluate", "--seeds", "1", "--customers", "400", "--out", str(tmp_path))
    result = run_recommend(*args, database_url="sqlite+aiosqlite:///unused.db")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("map_at_3", "popularity_map_at_3", "cooccurrence_map_at_3", "oracle_map_at_3"):
        assert 0 <= summary[key] <= 1
    assert summary["seeds"] == [101]
    assert {p.name for p in tmp_path.iterdir()} == {
        "recommend_evaluation.md",
        "recommend_evaluation.png",
        "recommend_evaluation.json",
    }
