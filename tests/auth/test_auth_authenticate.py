"""``authenticate``: the Authorization header to a principal, for the HTTP layer."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

import pytest
from auth_support import AuthDatabase
from jwt_support import AUDIENCE, ISSUER, JWKS, claims, sign
from pydantic import ValidationError

from c360.auth import tokens
from c360.auth.authenticate import authenticate
from c360.auth.errors import AuthenticationError, AuthFailure
from c360.auth.scopes import Role
from c360.settings import Settings


def settings_for(db: AuthDatabase, **overrides: object) -> Settings:
    return Settings(database_url=db.url, **overrides)  # type: ignore[arg-type]


def with_jwks(db: AuthDatabase, **overrides: object) -> Settings:
    return settings_for(
        db, jwks=json.dumps(JWKS), jwt_issuer=ISSUER, jwt_audience=AUDIENCE, **overrides
    )


async def opaque_token(db: AuthDatabase) -> tuple[int, str]:
    async with db.engine.begin() as conn:
        return await tokens.issue_token(
            conn,
            role=Role.SERVICE,
            name="shop",
            secret_key=os.environ["C360_SECRET_KEY"],  # what Settings() reads
            now=dt.datetime.now(dt.UTC),
        )


async def refused(db: AuthDatabase, header: str | None, settings: Settings) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await authenticate(header, engine=db.engine, settings=settings)
    return caught.value


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, AuthFailure.MISSING),
        ("", AuthFailure.MISSING),
        ("   ", AuthFailure.MISSING),
        ("Basic dXNlcjpwYXNz", AuthFailure.MALFORMED),
        ("Bearer", AuthFailure.MALFORMED),
        ("Bearer ", AuthFailure.MALFORMED),
        ("Bearer two words", AuthFailure.MALFORMED),
        ("Bearer not-a-token", AuthFailure.MALFORMED),
        ("Bearer c360_tooshort", AuthFailure.MALFORMED),
        ("Bearer " + "x" * 9000, AuthFailure.MALFORMED),
        ("Bearer c360_" + "A" * 43, AuthFailure.INVALID),
    ],
)
async def test_headers_without_usable_credentials_are_refused(
    auth_db: AuthDatabase, header: str | None, reason: AuthFailure
) -> None:
    error = await refused(auth_db, header, settings_for(auth_db))
    assert (error.code, error.reason) == ("UNAUTHENTICATED", reason)
    assert error.www_authenticate.startswith('Bearer realm="c360"')


async def test_an_opaque_token_authenticates(auth_db: AuthDatabase) -> None:
    token_id, token = await opaque_token(auth_db)
    for scheme in ("Bearer", "bearer"):
        principal = await authenticate(
            f"{scheme} {token}", engine=auth_db.engine, settings=settings_for(auth_db)
        )
        assert (principal.subject, principal.role) == (f"token:{token_id}", Role.SERVICE)
    await tokens.flush_last_used()


async def test_a_jwt_is_refused_without_a_key_set(auth_db: AuthDatabase) -> None:
    error = await refused(auth_db, f"Bearer {sign(claims())}", settings_for(auth_db))
    assert error.reason is AuthFailure.INVALID and "no key set" in error.detail


async def test_a_jwt_authenticates_with_the_key_set_from_the_environment(
    auth_db: AuthDatabase,
) -> None:
    principal = await authenticate(
        f"Bearer {sign(claims(sub='staff-7'))}", engine=auth_db.engine, settings=with_jwks(auth_db)
    )
    assert (principal.subject, principal.role) == (f"jwt:{ISSUER}#staff-7", Role.ADMIN)


async def test_a_jwt_authenticates_with_the_key_set_from_a_file(
    auth_db: AuthDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS), encoding="utf-8")
    settings = settings_for(auth_db, jwks_file=path, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    token = sign(claims(sub="staff-8", c360_role="teller", c360_branch="WAW"))
    principal = await authenticate(f"Bearer {token}", engine=auth_db.engine, settings=settings)
    assert (principal.role, principal.branch) == (Role.TELLER, "WAW")


async def test_the_leeway_setting_is_applied(auth_db: AuthDatabase) -> None:
    token = sign(claims(exp=claims()["iat"] - 20))  # expired 20 s ago
    accepted = await authenticate(
        f"Bearer {token}", engine=auth_db.engine, settings=with_jwks(auth_db)
    )
    assert accepted.role is Role.ADMIN
    strict = with_jwks(auth_db, jwt_leeway_seconds=5, token_cache_seconds=0)
    assert (await refused(auth_db, f"Bearer {token}", strict)).reason is AuthFailure.EXPIRED


async def test_refusals_are_logged_without_the_credentials(
    auth_db: AuthDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    token_id, token = await opaque_token(auth_db)
    async with auth_db.engine.begin() as conn:
        await tokens.revoke_token(conn, token_id, now=dt.datetime.now(dt.UTC))
    bad_jwt = sign(claims(aud="elsewhere"))
    with caplog.at_level(logging.INFO, logger="c360.auth"):
        await refused(auth_db, f"Bearer {token}", settings_for(auth_db))
        await refused(auth_db, f"Bearer {bad_jwt}", with_jwks(auth_db))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"revoked (token {token_id} revoked)" in logged
    assert "invalid (jwt: " in logged
    assert token not in logged and token[5:20] not in logged
    assert bad_jwt.split(".")[2][:20] not in logged and bad_jwt.split(".")[1][:20] not in logged


def test_a_key_set_needs_an_issuer_and_an_audience(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="C360_JWT_ISSUER and C360_JWT_AUDIENCE"):
        Settings(jwks=json.dumps(JWKS), jwt_audience=AUDIENCE)
    with pytest.raises(ValidationError, match="not both"):
        Settings(jwks=json.dumps(JWKS), jwks_file=tmp_path / "k.json", jwt_issuer=ISSUER,
                 jwt_audience=AUDIENCE)  # fmt: skip
