"""``c360 token``, run as an operator would run it, against the auth test database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from auth_support import AuthDatabase

from c360.auth import tokens
from c360.auth.errors import AuthenticationError, AuthFailure
from c360.auth.scopes import Role, Scope, default_scopes
from c360.graphql.ids import encode_id


async def c360_token(db: AuthDatabase, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "C360_DATABASE_URL": db.url}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "c360", "token", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def verify(db: AuthDatabase, token: str) -> object:
    # The CLI hashed with the process's C360_SECRET_KEY, which tests/conftest.py sets.
    return await tokens.verify_token(
        token, engine=db.engine, secret_key=os.environ["C360_SECRET_KEY"], cache_seconds=0
    )


async def test_create_prints_the_token_alone_on_the_last_line(auth_db: AuthDatabase) -> None:
    result = await c360_token(
        auth_db, "create", "--role", "partner", "--partner", "ACME", "--name", "acme shop",
        "--scopes", "customer:read,warranty:read", "--expires", "30d",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    *details, last = result.stdout.splitlines()
    assert last.startswith("c360_") and last.strip() == last and " " not in last
    assert result.stdout.count(last) == 1 and last not in result.stderr
    shown = "\n".join(details)
    assert "partner" in shown and "ACME" in shown and "customer:read warranty:read" in shown

    principal = await verify(auth_db, last)
    assert principal.role is Role.PARTNER  # type: ignore[attr-defined]
    assert principal.partner_id == auth_db.partner_ids["ACME"]  # type: ignore[attr-defined]
    assert principal.scopes == {Scope.CUSTOMER_READ, Scope.WARRANTY_READ}  # type: ignore[attr-defined]
    assert f"id:       {principal.token_id}" in shown  # type: ignore[attr-defined]
    await tokens.flush_last_used()


@pytest.mark.parametrize("form", ["number", "global id"])
async def test_create_takes_a_customer_number_or_global_id(
    auth_db: AuthDatabase, form: str
) -> None:
    customer_id = auth_db.customer_ids[0]
    given = str(customer_id) if form == "number" else encode_id("Customer", customer_id)
    result = await c360_token(auth_db, "create", "--role", "customer", "--customer", given)
    assert result.returncode == 0, result.stderr
    principal = await verify(auth_db, result.stdout.splitlines()[-1])
    assert principal.customer_id == customer_id  # type: ignore[attr-defined]
    assert principal.scopes == default_scopes(Role.CUSTOMER)  # type: ignore[attr-defined]
    await tokens.flush_last_used()


async def test_list_shows_the_tokens_but_never_the_secret(auth_db: AuthDatabase) -> None:
    created = await c360_token(
        auth_db, "create", "--role", "teller", "--branch", "GDN", "--name", "gdn desk"
    )
    token = created.stdout.splitlines()[-1]
    listed = await c360_token(auth_db, "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "gdn desk" in line)
    assert "teller" in row and "GDN" in row
    assert token not in listed.stdout and token[5:25] not in listed.stdout
    stored_hash = tokens.hash_token(token, os.environ["C360_SECRET_KEY"])
    assert stored_hash not in listed.stdout and stored_hash[:16] not in listed.stdout


async def test_revoke_makes_the_token_fail(auth_db: AuthDatabase) -> None:
    created = await c360_token(auth_db, "create", "--role", "service", "--expires", "never")
    token = created.stdout.splitlines()[-1]
    principal = await verify(auth_db, token)
    revoked = await c360_token(auth_db, "revoke", str(principal.token_id))  # type: ignore[attr-defined]
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    with pytest.raises(AuthenticationError) as caught:
        await verify(auth_db, token)
    assert caught.value.reason is AuthFailure.REVOKED
    listed = await c360_token(auth_db, "list")
    row = next(
        line
        for line in listed.stdout.splitlines()
        if line.startswith(f"│ {principal.token_id} ")  # type: ignore[attr-defined]
    )
    assert "never" in row  # no expiry, and a revocation date beside it
    await tokens.flush_last_used()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "root"], "unknown role 'root'"),
        (["create", "--role", "partner", "--partner", "NOPE"], "no partner 'NOPE'"),
        (["create", "--role", "customer", "--customer", "987654"], "no customer 987654"),
        (["create", "--role", "customer", "--customer", "not-an-id"], "neither a customer number"),
        (
            ["create", "--role", "marketing", "--scopes", "customer:pii"],
            "may not have customer:pii",
        ),
        (["create", "--role", "admin", "--expires", "5y"], "expected e.g. 90d"),
        (["revoke", "987654"], "no token 987654"),
    ],
)
async def test_refusals_exit_2_with_a_message_and_no_traceback(
    auth_db: AuthDatabase, args: list[str], message: str
) -> None:
    result = await c360_token(auth_db, *args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr and "c360_" not in result.stdout
