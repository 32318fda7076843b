"""The ``c360`` command: serve, migrate, load demo data, print the schema."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from c360 import migrations
from c360.audit.cli import audit_app
from c360.auth.cli import token_app
from c360.loyalty.cli import loyalty_app
from c360.recommend.cli import recommend_app
from c360.settings import Settings, get_settings

if TYPE_CHECKING:
    from c360.demo import DemoLoadReport

# Tracebacks with local variables could print secrets (keys, connection URLs).
app = typer.Typer(
    help="c360: a GraphQL customer-360 API server.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(
    help="Database migrations (Alembic, kept in db/migrations).", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(loyalty_app, name="loyalty")
app.add_typer(recommend_app, name="recommend")
app.add_typer(token_app, name="token")

GRACEFUL_SHUTDOWN_SECONDS = 10

console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load demo data first if the database is empty.")
    ] = False,
) -> None:
    """Apply migrations, optionally load demo data, and run the server with uvicorn."""
    import uvicorn

    settings = get_settings()
    console.print(f"database: {_describe_url(settings.database_url)}")
    migrations.upgrade(settings.database_url)
    trainer = None
    if demo:
        asyncio.run(_load_demo_if_empty(settings))
        trainer = _start_demo_training(settings)
    try:
        # Each worker builds its own app (and engine) from the same environment.
        uvicorn.run(
            "c360.app:create_served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
            proxy_headers=False,
            # One log line per request costs CPU on every request; who read which customer
            # is in the access audit (c360.audit), errors still go to the log.
            access_log=False,
            # A stop (deploy, scale-in) closes sockets and waits this long for requests
            # and subscriptions to end, not for ever on a client that never hangs up.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            # loop and http stay "auto": uvloop and httptools (uvicorn[standard]) where they
            # install, asyncio and h11 elsewhere.
        )
    finally:
        if trainer is not None and trainer.poll() is None:
            trainer.terminate()
            trainer.wait()


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database to a revision (default: the newest)."""
    migrations.upgrade(get_settings().database_url, revision)


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base.")],
) -> None:
    """Downgrade the database to an earlier revision."""
    migrations.downgrade(get_settings().database_url, revision)


@app.command("demo-data")
def demo_data(
    customers: Annotated[int, typer.Option(min=1, help="How many customers to generate.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    as_of: Annotated[
        str | None, typer.Option(help="Reference date (YYYY-MM-DD) the history runs up to.")
    ] = None,
) -> None:
    """Load deterministic demo data into an empty database (migrating it first)."""
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    report = asyncio.run(
        _load_demo(settings, customers=customers, seed=seed, as_of=_parse_date(as_of))
    )
    total_rows = sum(report.rows_by_table.values())
    console.print(
        f"loaded {report.customers:,} customers and {total_rows:,} rows in {report.seconds:.1f} s"
    )


@app.command("export-schema")
def export_schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the GraphQL schema (SDL) that the server serves."""
    from c360.graphql.schema import schema

    sdl = schema.as_str() + "\n"
    if output is None:
        typer.echo(sdl, nl=False)
    else:
        output.write_text(sdl, encoding="utf-8")


def _start_demo_training(settings: Settings) -> subprocess.Popen[bytes] | None:
    """Train a first next-best-product model in the background when there is none."""
    from c360.demo import DEMO_AS_OF
    from c360.recommend.artefact import default_model_dir
    from c360.recommend.bootstrap import start_background_training

    model_dir = default_model_dir()
    trainer = start_background_training(
        model_dir, database_url=settings.database_url, as_of=DEMO_AS_OF
    )
    if trainer is not None:
        console.print(
            f"no model in {model_dir}: training one in the background; "
            "nextBestProducts answers [] until it is ready (under a minute)"
        )
    return trainer


async def _load_demo_if_empty(settings: Settings) -> None:
    from c360.database import create_engine
    from c360.demo import database_is_empty

    engine = create_engine(settings.database_url)
    try:
        empty = await database_is_empty(engine)
    finally:
        await engine.dispose()
    if not empty:
        console.print("database has customers already: demo data not loaded")
        return
    report = await _load_demo(settings, customers=settings.demo_customers, seed=settings.demo_seed)
    console.print(f"loaded {report.customers:,} demo customers in {report.seconds:.1f} s")


async def _load_demo(
    settings: Settings, *, customers: int, seed: int, as_of: dt.date | None = None
) -> DemoLoadReport:
    # Imported here so that `serve` without --demo never loads Faker.
    from c360.database import create_engine
    from c360.demo import DEMO_AS_OF, load_demo_data

    engine = create_engine(settings.database_url)
    progress = Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    tasks: dict[str, int] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    try:
        with progress:
            return await load_demo_data(
                engine,
                customers=customers,
                seed=seed,
                secret_key=settings.secret_key.get_secret_value(),
                as_of=as_of or DEMO_AS_OF,
                on_progress=on_progress,
            )
    except ValueError as exc:  # e.g. the database already holds customers
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    finally:
        await engine.dispose()


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from exc


def _describe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
