"""The ``c360`` command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import inspect

REPO = Path(__file__).resolve().parents[1]


def run_c360(
    *args: str, database_url: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "C360_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "c360", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _sync_url(async_url: str) -> str:
    return async_url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def table_names(database_url: str) -> set[str]:
    engine = create_sync_engine(_sync_url(database_url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_and_downgrade(database_factory) -> None:
    url = database_factory.create(migrated=False)
    upgraded = run_c360("db", "upgrade", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert {"customer", "holding", "loyalty_ledger_entry"} <= table_names(url)

    downgraded = run_c360("db", "downgrade", "base", database_url=url)
    assert downgraded.returncode == 0, downgraded.stderr
    assert "customer" not in table_names(url)


def test_export_schema_prints_the_committed_sdl() -> None:
    result = run_c360("export-schema", database_url="sqlite+aiosqlite:///unused.db")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (REPO / "schema" / "c360.graphql").read_text(encoding="utf-8")


def test_demo_data_loads_and_refuses_a_second_load(database_factory) -> None:
    url = database_factory.create(migrated=False)
    first = run_c360("demo-data", "--customers", "30", "--seed", "3", database_url=url)
    assert first.returncode == 0, first.stderr
    assert "loaded 30 customers" in first.stderr

    second = run_c360("demo-data", "--customers", "30", "--seed", "3", database_url=url)
    assert second.returncode == 1
    assert "error" in second.stderr.lower()


@pytest.mark.parametrize("bad_date", ["2026-13-01", "yesterday"])
def test_demo_data_rejects_a_malformed_date(bad_date: str, tmp_path: Path) -> None:
    result = run_c360(
        "demo-data", "--as-of", bad_date, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"
    )
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr
