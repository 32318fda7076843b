"""How fast next-best-product scoring is, and what ``nextBestProducts`` adds to a teller query.

    .venv/bin/python bench/recommend_speed.py --customers 2000

Builds a fresh SQLite database with demo data (or uses ``--database-url`` to an empty
migrated-or-not database; PostgreSQL's is then analysed, as a server in use would be),
trains a model with the default settings of ``c360 recommend train``, then measures:

(a) scoring through the batched path: ``Recommender.recommend`` (what the page loader
    calls: the snapshot, consents and recent responses of the page in one statement, the
    catalogue cached for a minute, then one LightGBM call, rules, arbitration, reasons)
    on pages of ``--page`` customers; per-customer time = page time / page size.
    Target: p99 < 1 ms per customer.
(b) the teller summary query (``bench/queries/teller.c360.graphql``) with and without
    ``nextBestProducts(first: 3)``, in-process through the ASGI app with httpx, the two
    variants interleaved request by request on the same random customers. Target: the
    field adds < 2 ms at p99.

Writes ``bench/recommend_speed.json`` and ``bench/recommend_speed.md``; a cProfile of
(a) is summarised in both (top functions by cumulative time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import select

from c360 import migrations
from c360.app import create_app
from c360.auth import tokens
from c360.auth.scopes import Role
from c360.database import create_engine
from c360.demo import DEMO_AS_OF, load_demo_data
from c360.graphql.ids import encode_id
from c360.models import Customer
from c360.recommend.artefact import MODEL_DIR_ENV, ArtefactStore
from c360.recommend.features import add_months
from c360.recommend.model import train_from_database
from c360.recommend.service import Recommender
from c360.settings import Environment, Settings

HERE = Path(__file__).parent
TELLER = (HERE / "queries" / "teller.c360.graphql").read_text()
FIELD = "    nextBestProducts(first: 3) { productCode score expectedValue reasons modelVersion }\n"
# The same query with the field added as the last selection of `customer`.
TELLER_WITH_OFFERS = TELLER[: TELLER.rindex("  }\n}")] + FIELD + "  }\n}\n"
TARGET_SCORING_P99_MS = 1.0
TARGET_FIELD_P99_MS = 2.0
SECRET_KEY = "bench" * 8


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.array(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 4),
        "p90": round(float(np.percentile(array, 90)), 4),
        "p99": round(float(np.percentile(array, 99)), 4),
        "mean": round(float(array.mean()), 4),
    }


async def prepare(url: str, customers: int, seed: int) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(url)
    try:
        await load_demo_data(engine, customers=customers, seed=seed, secret_key="bench")
        if engine.dialect.name == "postgresql":
            # Fresh tables have no planner statistics until autovacuum analyses them (it
            # may be off, and on this machine it is): without them PostgreSQL's generic
            # plans scan the ledger by date and the consents by partner instead of by
            # customer, which tripled the teller query's database time. A server in use
            # has statistics; bench/run.py analyses its fresh database for the same reason.
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("VACUUM ANALYZE")
    finally:
        await engine.dispose()


async def train(url: str, model_dir: Path) -> tuple[str, float]:
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            # As `c360 recommend train --as-of <demo date>` does.
            model = await train_from_database(connection, last_cutoff=add_months(DEMO_AS_OF, -3))
    finally:
        await engine.dispose()
    return ArtefactStore(model_dir).save(model), time.perf_counter() - started


async def scoring(url: str, model_dir: Path, page: int, pages: int) -> dict[str, Any]:
    """(a): the batched pipeline on pages of customers, as the loader runs it."""
    recommender = Recommender.from_model_dir(model_dir)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            ids = list((await connection.scalars(select(Customer.id).order_by(Customer.id))).all())
            rng = random.Random(1)
            batches = [rng.sample(ids, page) for _ in range(pages)]
            for batch in batches[:5]:  # warm caches and the model's first predict
                await recommender.recommend(connection, customer_ids=batch, first=3)
            per_customer_ms, offers = [], 0
            for batch in batches:
                started = time.perf_counter()
                result = await recommender.recommend(connection, customer_ids=batch, first=3)
                per_customer_ms.append((time.perf_counter() - started) * 1000 / page)
                offers += sum(map(len, result.values()))
            profiler = cProfile.Profile()
            profiler.enable()
            for batch in batches[:20]:
                await recommender.recommend(connection, customer_ids=batch, first=3)
            profiler.disable()
    finally:
        await engine.dispose()
    return {
        "page_size": page,
        "pages": pages,
        "per_customer_ms": percentiles(per_customer_ms),
        "offers_per_customer": round(offers / (page * pages), 3),
        "profile": top_functions(profiler, 14),
    }


def top_functions(profiler: cProfile.Profile, count: int) -> list[dict[str, Any]]:
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = Path(filename)
        rows.append((cumtime, tottime, calls, f"{path.parent.name}/{path.name}:{line}({name})"))
    rows.sort(reverse=True)
    # Our own stages, LightGBM's predict and the driver: what a reader can act on.
    wanted = ("recommend/", "lightgbm/basic.py:4821", "aiosqlite/core.py", "asyncpg/")
    keep = [r for r in rows if any(w in r[3] for w in wanted)]
    return [
        {
            "function": where,
            "cumulative_share": round(cum / total, 3),
            "own_share": round(own / total, 3),
            "calls": calls,
        }
        for cum, own, calls, where in (keep or rows)[:count]
    ]


async def field_overhead(url: str, iterations: int) -> dict[str, Any]:
    """(b): the teller query with and without nextBestProducts, interleaved."""
    # The bench sends more requests than a token's default budget per minute: raise the
    # limit rather than turn the limiter off, so its (equal) cost stays in both variants.
    settings = Settings(
        database_url=url,
        environment=Environment.TEST,
        secret_key=SECRET_KEY,
        rate_limit_requests=1_000_000,
    )
    app = create_app(settings)
    engine = create_engine(url)
    async with engine.begin() as connection:
        ids = list((await connection.scalars(select(Customer.id))).all())
        _, token = await tokens.issue_token(
            connection,
            role=Role.TELLER,
            name="recommend speed",
            secret_key=SECRET_KEY,
            now=dt.datetime.now(dt.UTC),
        )
    await engine.dispose()
    rng = random.Random(2)
    customers = [encode_id("Customer", rng.choice(ids)) for _ in range(iterations)]
    timings: dict[str, list[float]] = {"without": [], "with": []}
    offered = 0
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
        ) as client,
    ):

        async def once(query: str, customer_id: str) -> tuple[float, dict[str, Any]]:
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": query, "variables": {"id": customer_id}}
            )
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"query failed: {response.status_code} {body}")
            return elapsed, body

        for customer_id in customers[:50]:  # warm-up: model load, parser and validation caches
            await once(TELLER, customer_id)
            await once(TELLER_WITH_OFFERS, customer_id)
        for i, customer_id in enumerate(customers):
            # Alternate which variant goes first so neither always runs on a warmer cache.
            order = [("without", TELLER), ("with", TELLER_WITH_OFFERS)]
            for variant, query in order if i % 2 == 0 else order[::-1]:
                elapsed, body = await once(query, customer_id)
                timings[variant].append(elapsed)
                if variant == "with":
                    offered += bool(body["data"]["customer"]["nextBestProducts"])
    without, with_ = percentiles(timings["without"]), percentiles(timings["with"])
    return {
        "iterations": iterations,
        "without_ms": without,
        "with_ms": with_,
        "added_ms": {k: round(with_[k] - without[k], 4) for k in without},
        "customers_with_offers": round(offered / iterations, 3),
    }


def write_markdown(results: dict[str, Any], path: Path) -> None:
    a, b = results["scoring"], results["field"]
    lines = [
        "# Next-best-product speed",
        "",
        f"Command: `{results['command']}`  ",
        f"Machine: {results['machine']}; database: {results['database']}; "
        f"{results['customers']:,} demo customers; model trained in "
        f"{results['training_seconds']:.0f} s (version {results['model_version']}). "
        f"1-minute load average {results['load_average_before']} before the measurements, "
        f"{results['load_average_after']} after (the machine's other work shows in the tails).",
        "",
        f"## (a) Scoring a page of {a['page_size']} through the batched path ({a['pages']} pages)",
        "",
        "| per customer | p50 | p90 | p99 | target p99 |",
        "|---|---|---|---|---|",
        f"| ms | {a['per_customer_ms']['p50']:.3f} | {a['per_customer_ms']['p90']:.3f} | "
        f"{a['per_customer_ms']['p99']:.3f} | < {TARGET_SCORING_P99_MS} "
        f"({'met' if a['per_customer_ms']['p99'] < TARGET_SCORING_P99_MS else 'missed'}) |",
        "",
        "Where the time goes (cProfile of 20 pages, share of the total; cumulative):",
        "",
        "| function | cumulative | own |",
        "|---|---|---|",
        *(
            f"| `{row['function']}` | {row['cumulative_share']:.0%} | {row['own_share']:.0%} |"
            for row in a["profile"]
        ),
        "",
        f"## (b) What `nextBestProducts(first: 3)` adds to the teller summary "
        f"({b['iterations']} interleaved pairs, in-process ASGI)",
        "",
        "| ms | p50 | p90 | p99 |",
        "|---|---|---|---|",
        *(
            f"| {label} | {b[key]['p50']:.2f} | {b[key]['p90']:.2f} | {b[key]['p99']:.2f} |"
            for label, key in (
                ("without the field", "without_ms"),
                ("with the field", "with_ms"),
                ("added", "added_ms"),
            )
        ),
        "",
        f"Target: added < {TARGET_FIELD_P99_MS} ms at p99: "
        f"**{'met' if b['added_ms']['p99'] < TARGET_FIELD_P99_MS else 'missed'}**. "
        f"{b['customers_with_offers']:.0%} of the sampled customers got at least one offer "
        "(the rest lack marketing consent or anything eligible).",
        "",
    ]
    path.write_text("\n".join(lines))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--database-url", help="An empty database to fill (default: SQLite).")
    parser.add_argument("--out", type=Path, default=HERE / "recommend_speed.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'speed.db'}"
        model_dir = Path(workdir) / "models"
        os.environ[MODEL_DIR_ENV] = str(model_dir)  # the app's Recommender reads it
        await prepare(url, args.customers, args.seed)
        version, training_seconds = await train(url, model_dir)
        results = {
            "command": "python bench/recommend_speed.py " + " ".join(sys.argv[1:]),
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}",
            "database": url.split(":", 1)[0],
            "customers": args.customers,
            "model_version": version,
            "training_seconds": round(training_seconds, 1),
            "load_average_before": round(os.getloadavg()[0], 2),
            "scoring": await scoring(url, model_dir, args.page, args.pages),
            "field": await field_overhead(url, args.iterations),
            # Other work on the machine shows in the tails: say how busy it was.
            "load_average_after": round(os.getloadavg()[0], 2),
        }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, args.out.with_suffix(".md"))
    summary = {"scoring": results["scoring"]["per_customer_ms"], "field": results["field"]}
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
