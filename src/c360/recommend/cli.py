"""``c360 recommend``: train a model artefact, and evaluate offline on held-out demo seeds.

The lead mounts it with ``app.add_typer(recommend_app, name="recommend")`` in ``c360.cli``;
``python -m c360.recommend.cli`` runs it on its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

recommend_app = typer.Typer(
    help="Next-best-product model: train and evaluate.", no_args_is_help=True
)

# Seeds 1-99 are for tuning; evaluation defaults to seeds from 101 up.
HELD_OUT_SEEDS_START = 101


@recommend_app.command("train")
def train_command(
    snapshots: Annotated[int, typer.Option(min=1, help="Monthly training cutoffs.")] = 12,
    window_months: Annotated[int, typer.Option(min=1, help="Label window after a cutoff.")] = 3,
    as_of: Annotated[
        str | None, typer.Option(help="Newest data date (YYYY-MM-DD); default: today.")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option(help="Artefact directory (default $C360_MODEL_DIR or ./models).")
    ] = None,
    # The default is model.BOOST_ROUNDS, not imported here to keep the CLI quick to start.
    rounds: Annotated[int, typer.Option(min=1, help="Boosting rounds per product.")] = 50,
) -> None:
    """Train on the configured database's history and store a new versioned artefact."""
    from c360.database import create_engine
    from c360.recommend.artefact import ArtefactStore
    from c360.recommend.features import add_months
    from c360.recommend.model import train_from_database
    from c360.settings import get_settings

    newest = dt.date.fromisoformat(as_of) if as_of else dt.datetime.now(dt.UTC).date()
    # The last cutoff's label window must be complete: it ends on the newest month's first day.
    last_cutoff = add_months(newest, -window_months)

    async def run() -> str:
        engine = create_engine(get_settings().database_url)
        try:
            async with engine.connect() as connection:
                model = await train_from_database(
                    connection,
                    last_cutoff=last_cutoff,
                    snapshots=snapshots,
                    window_months=window_months,
                    rounds=rounds,
                )
        finally:
            await engine.dispose()
        return ArtefactStore(model_dir).save(model)

    version = asyncio.run(run())
    typer.echo(json.dumps({"version": version, "last_cutoff": last_cutoff.isoformat()}))


@recommend_app.command("evaluate")
def evaluate_command(
    seeds: Annotated[int, typer.Option(min=1, help="How many held-out demo seeds.")] = 3,
    customers: Annotated[int, typer.Option(min=100, help="Demo customers per seed.")] = 20_000,
    out: Annotated[Path, typer.Option(help="Report directory.")] = Path("bench/recommend"),
    first_seed: Annotated[int, typer.Option(help="First held-out seed.")] = HELD_OUT_SEEDS_START,
) -> None:
    """Temporal holdout on demo data: model vs popularity, co-occurrence and the oracle."""
    from c360.recommend.evaluate import evaluate, summarise, write_report

    chosen = list(range(first_seed, first_seed + seeds))
    results = asyncio.run(evaluate(seeds=chosen, customers=customers))
    for result in results:
        typer.echo(
            f"seed {result.seed}: {result.evaluated} customers evaluated in {result.seconds:.0f} s",
            err=True,
        )
    summary = summarise(results)
    arguments = sys.argv[sys.argv.index("evaluate") + 1 :] if "evaluate" in sys.argv else []
    write_report(results, summary, out, f"c360 recommend evaluate {shlex.join(arguments)}".strip())
    typer.echo(f"report: {out / 'recommend_evaluation.md'}", err=True)
    typer.echo(json.dumps(summary))


if __name__ == "__main__":
    recommend_app()
