"""``c360 loyalty``: ledger jobs to run from a scheduler, e.g. ``c360 loyalty expire`` nightly."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from c360.database import create_engine
from c360.loyalty.service import ExpiryReport, expire_points
from c360.settings import get_settings

__all__ = ["loyalty_app"]

loyalty_app = typer.Typer(help="Loyalty points ledger jobs.", no_args_is_help=True)


@loyalty_app.callback()
def _group() -> None:
    # A callback keeps ``expire`` a subcommand while it is the only one (typer would
    # otherwise collapse a one-command app into that command).
    pass


@loyalty_app.command("expire")
def expire(
    as_of: Annotated[
        str | None,
        typer.Option(help="Expire as of this ISO instant with a UTC offset (default: now)."),
    ] = None,
) -> None:
    """Book an expiry for what is left of every lot past its expiry date."""
    now = dt.datetime.now(dt.UTC) if as_of is None else _parse_instant(as_of)
    report = asyncio.run(_expire(get_settings().database_url, now))
    typer.echo(
        f"expired {report.points} points in {report.entries} entries "
        f"on {report.accounts} accounts as of {now.isoformat()}"
    )


async def _expire(database_url: str, now: dt.datetime) -> ExpiryReport:
    engine = create_engine(database_url)
    try:
        return await expire_points(engine, now=now)
    finally:
        await engine.dispose()


def _parse_instant(value: str) -> dt.datetime:
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO date and time") from exc
    if instant.tzinfo is None:
        raise typer.BadParameter(f"{value!r} needs a UTC offset, e.g. {value}+00:00")
    return instant.astimezone(dt.UTC)
