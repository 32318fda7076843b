"""``c360 token``: issue, list and revoke opaque API tokens.

``create`` prints the token once, alone on the last line of its output, so that a script
can take it with ``tail -n 1``. Nothing else ever shows it again: only its keyed hash
is stored. Refusals (bad role, unknown partner or customer, scopes outside the role)
exit with code 2 and a one-line message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from c360 import migrations
from c360.auth.errors import TokenError
from c360.auth.tokens import TokenInfo, get_token, issue_token, list_tokens, revoke_token
from c360.database import create_engine
from c360.errors import InvalidIdError
from c360.graphql.ids import decode_id_of
from c360.settings import get_settings

__all__ = ["token_app"]

token_app = typer.Typer(help="Opaque API tokens: create, list, revoke.", no_args_is_help=True)
errors = Console(stderr=True)

DEFAULT_EXPIRY = "90d"
_EXPIRY = re.compile(r"(\d{1,6})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

T = TypeVar("T")


@token_app.command("create")
def create(
    role: Annotated[
        str,
        typer.Option(help="admin, teller, marketing, service, partner or customer."),
    ],
    partner: Annotated[str | None, typer.Option(help="Partner code (partner tokens only).")] = None,
    customer: Annotated[
        str | None,
        typer.Option(help="Customer id, a number or a global id (customer tokens only)."),
    ] = None,
    branch: Annotated[str | None, typer.Option(help="Limit a teller token to this branch.")] = None,
    cost_budget: Annotated[
        int | None,
        typer.Option(help="The most one query may cost (default: C360_QUERY_COST_BUDGET)."),
    ] = None,
    scopes: Annotated[
        str | None,
        typer.Option(help="Comma-separated scopes, within the role's (default: the role's)."),
    ] = None,
    expires: Annotated[
        str, typer.Option(help="Lifetime: 90d, 12h, 30m, or never.")
    ] = DEFAULT_EXPIRY,
    name: Annotated[str | None, typer.Option(help="A label to recognise the token by.")] = None,
) -> None:
    """Issue a token and print it once, alone on the last line."""
    expires_in = _parse_expiry(expires)
    customer_id = None if customer is None else _parse_customer(customer)
    requested = None if scopes is None else [s for s in re.split(r"[,\s]+", scopes) if s]
    settings = get_settings()
    now = dt.datetime.now(dt.UTC)

    async def issue(conn: AsyncConnection) -> tuple[TokenInfo, str]:
        token_id, plaintext = await issue_token(
            conn,
            role=role,
            name=name if name is not None else f"{role} token",
            scopes=requested,
            partner_code=partner,
            customer_id=customer_id,
            branch=branch,
            cost_budget=cost_budget,
            expires_in=expires_in,
            secret_key=settings.secret_key.get_secret_value(),
            now=now,
        )
        info = await get_token(conn, token_id)
        assert info is not None
        return info, plaintext

    info, plaintext = _run(issue)
    for label, value in _describe(info):
        typer.echo(f"{label + ':':<10}{value}")
    typer.echo("The token is shown once only; store it now:")
    typer.echo(plaintext)


@token_app.command("list")
def list_() -> None:
    """Every token with its role, limits and dates (never the token itself)."""
    infos = _run(list_tokens)
    table = Table("id", "name", "role", "partner", "customer", "branch", "scopes", "created",
                  "expires", "revoked", "last used")  # fmt: skip
    for info in infos:
        table.add_row(
            str(info.id),
            info.name,
            info.role.value,
            info.partner_code or "",
            "" if info.customer_id is None else str(info.customer_id),
            info.branch or "",
            " ".join(sorted(info.scopes)),
            _when(info.created_at),
            _when(info.expires_at, "never"),
            _when(info.revoked_at),
            _when(info.last_used_at),
        )
    # Piped output (a file, grep) gets every column unabridged instead of 80 wrapped ones.
    Console(width=None if sys.stdout.isatty() else 250).print(table)


@token_app.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(metavar="ID", help="The token's id.")]) -> None:
    """Revoke a token: it is refused from now on (other workers: within seconds)."""
    now = dt.datetime.now(dt.UTC)

    async def do_revoke(conn: AsyncConnection) -> TokenInfo:
        return await revoke_token(conn, token_id, now=now)

    info = _run(do_revoke)
    assert info.revoked_at is not None
    typer.echo(f"token {info.id} ({info.name}) revoked at {info.revoked_at.isoformat()}")


def _run(operation: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run one operation in one transaction; a refusal exits 2 with its message."""
    url = get_settings().database_url
    migrations.upgrade(url)

    async def run() -> T:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                return await operation(conn)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except TokenError as exc:
        errors.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def _parse_expiry(value: str) -> dt.timedelta | None:
    if value == "never":
        return None
    match = _EXPIRY.fullmatch(value.strip())
    if match is None or int(match[1]) == 0:
        raise typer.BadParameter(f"{value!r}: expected e.g. 90d, 12h, 30m or never")
    return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})


def _parse_customer(value: str) -> int:
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        return decode_id_of("Customer", value)
    except InvalidIdError:
        raise typer.BadParameter(
            f"{value!r} is neither a customer number nor a Customer id"
        ) from None


def _describe(info: TokenInfo) -> list[tuple[str, str]]:
    lines = [("id", str(info.id)), ("name", info.name), ("role", info.role.value)]
    if info.partner_code is not None:
        lines.append(("partner", info.partner_code))
    if info.customer_id is not None:
        lines.append(("customer", str(info.customer_id)))
    if info.branch is not None:
        lines.append(("branch", info.branch))
    if info.cost_budget is not None:
        lines.append(("budget", f"{info.cost_budget:,}"))
    lines.append(("scopes", " ".join(sorted(info.scopes))))
    lines.append(("expires", "never" if info.expires_at is None else info.expires_at.isoformat()))
    return lines


def _when(instant: dt.datetime | None, missing: str = "") -> str:
    return missing if instant is None else instant.strftime("%Y-%m-%d %H:%M")
