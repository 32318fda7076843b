"""Time ``load_demo_data`` end to end (generation and insert) on fresh databases.

    .venv/bin/python bench/demo_load.py --customers 100000 --db both

SQLite gets a temporary file; PostgreSQL a new database on the server at
``C360_BENCH_POSTGRES_URL`` (default: the local trust-auth server), dropped afterwards.
Results are merged into ``bench/demo_load_results.json`` (one entry per backend and
customer count) and printed as a table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import make_url

from c360 import migrations
from c360.database import create_engine
from c360.demo import load_demo_data

RESULTS = Path(__file__).with_name("demo_load_results.json")
POSTGRES_ADMIN_URL = os.environ.get(
    "C360_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
LIMIT_SECONDS = 120


@asynccontextmanager
async def fresh_database(backend: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{folder}/c360-bench.db"
        return
    admin = make_url(POSTGRES_ADMIN_URL)
    name = f"c360_bench_{uuid.uuid4().hex[:10]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def server_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    connection = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(False)
    )
    try:
        return f"PostgreSQL {await connection.fetchval('SHOW server_version')}"
    finally:
        await connection.close()


class Stages:
    """Prints each finished stage and notes when writing began (generation is what precedes)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.generated_after: float | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage.startswith("writing") and self.generated_after is None:
            self.generated_after = time.perf_counter() - self.started
        if done == total:
            print(f"  {stage:<42} {total:>10,}", file=sys.stderr)


async def run(backend: str, customers: int, seed: int) -> dict[str, Any]:
    async with fresh_database(backend) as url:
        await migrations.upgrade_async(url)
        engine = create_engine(url)
        try:
            print(f"{backend}: loading {customers:,} customers", file=sys.stderr)
            stages = Stages()
            report = await load_demo_data(
                engine, customers=customers, seed=seed, secret_key="bench", on_progress=stages
            )
            database = await server_version(url)
        finally:
            await engine.dispose()
    return {
        "backend": backend,
        "database": database,
        "customers": report.customers,
        "seed": seed,
        "rows_total": report.rows_total,
        "related_rows": report.rows_total - report.rows_by_table["customer"],
        "rows_by_table": report.rows_by_table,
        "seconds": round(report.seconds, 1),
        "generate_seconds": round(stages.generated_after or 0.0, 1),
        "under_limit": report.seconds < LIMIT_SECONDS,
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
    }


def merge(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    previous = json.loads(RESULTS.read_text())["runs"] if RESULTS.exists() else []
    fresh = {(r["backend"], r["customers"]) for r in results}
    kept = [r for r in previous if (r["backend"], r["customers"]) not in fresh]
    return sorted(kept + results, key=lambda r: (r["customers"], r["backend"]))


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"{'backend':<11} {'customers':>10} {'rows':>11} {'seconds':>8}  database")
    for r in results:
        counts = f"{r['customers']:>10,} {r['rows_total']:>11,} {r['seconds']:>8.1f}"
        print(f"{r['backend']:<11} {counts}  {r['database']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [asyncio.run(run(backend, args.customers, args.seed)) for backend in backends]
    RESULTS.write_text(json.dumps({"runs": merge(results)}, indent=2) + "\n")
    print_table(results)


if __name__ == "__main__":
    main()
