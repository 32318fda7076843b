"""``c360 audit export``: a customer's access log as JSON lines."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, TextIO

import orjson
import typer
from sqlalchemy import select

from c360.audit.repository import stream_entries
from c360.consent.models import Partner
from c360.database import create_engine
from c360.errors import InvalidIdError
from c360.graphql.ids import decode_id_of
from c360.settings import get_settings

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The access audit: who looked at whose data.", no_args_is_help=True)


@audit_app.command("export")
def export(
    customer: Annotated[
        str,
        typer.Option("--customer", help="The customer: a global id (Q3VzdG9tZXI6MTU) or a number."),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Every read of one customer's data, oldest first, one JSON object per line."""
    customer_id = _customer_id(customer)
    if out is None:
        count = asyncio.run(_export(customer_id, sys.stdout))
    else:
        with out.open("w", encoding="utf-8") as stream:
            count = asyncio.run(_export(customer_id, stream))
    typer.echo(f"{count} access records", err=True)


def _customer_id(given: str) -> int:
    if given.isdigit():
        return int(given)
    try:
        return decode_id_of("Customer", given)
    except InvalidIdError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None


async def _export(customer_id: int, stream: TextIO) -> int:
    engine = create_engine(get_settings().database_url)
    count = 0
    try:
        async with engine.connect() as conn:
            partners = dict((await conn.execute(select(Partner.id, Partner.code))).all())
            async for row in stream_entries(conn, customer_id):
                record = {
                    "accessedAt": row.accessed_at.isoformat(),
                    "customerId": row.customer_id,
                    "subject": row.subject,
                    "role": row.role,
                    "partner": partners.get(row.partner_id),
                    "fieldGroups": row.field_groups.split(),
                    "operationName": row.operation_name,
                    "operationHash": row.operation_hash,
                    "purpose": row.purpose,
                    "requestId": row.request_id,
                }
                stream.write(orjson.dumps(record).decode() + "\n")
                count += 1
    finally:
        await engine.dispose()
    return count
