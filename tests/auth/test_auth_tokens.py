"""Opaque tokens: issued once, stored as a keyed hash, verified, expired, revoked."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

import pytest
from auth_support import AuthDatabase
from gqltest import count_statements
from sqlalchemy import func, select, text, update

from c360.auth import tokens
from c360.auth.errors import AuthenticationError, AuthFailure, TokenError, TokenErrorCode
from c360.auth.models import ApiToken
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope, allowed_scopes, default_scopes

KEY = "token-test-key"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
api_token = ApiToken.__table__
C = TokenErrorCode


async def issue(db: AuthDatabase, **kwargs: Any) -> tuple[int, str]:
    kwargs.setdefault("role", Role.ADMIN)
    kwargs.setdefault("name", "test token")
    async with db.engine.begin() as conn:
        return await tokens.issue_token(conn, secret_key=KEY, now=NOW, **kwargs)


async def verify(
    db: AuthDatabase, token: str, *, now: dt.datetime = NOW, **kwargs: Any
) -> Principal:
    return await tokens.verify_token(token, engine=db.engine, secret_key=KEY, now=now, **kwargs)


async def refused(db: AuthDatabase, token: str, **kwargs: Any) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await verify(db, token, **kwargs)
    return caught.value


async def token_count(db: AuthDatabase) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(api_token)))


async def stored_row(db: AuthDatabase, token_id: int) -> Any:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(api_token).where(api_token.c.id == token_id))).one()


# storage ---------------------------------------------------------------------------------


async def test_token_has_the_documented_shape(auth_db: AuthDatabase) -> None:
    _, token = await issue(auth_db)
    assert token.startswith("c360_")
    assert len(token) == 5 + 43
    assert set(token[5:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


async def test_only_the_keyed_hash_is_stored(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(auth_db, name="hash check")
    row = await stored_row(auth_db, token_id)
    assert row.token_hash == hmac.new(KEY.encode(), token.encode(), hashlib.sha256).hexdigest()
    secret_part = token[5:]
    # Every column of every token row, as the database renders it: no trace of the token.
    async with auth_db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            dump = "\n".join(await conn.scalars(text("SELECT t::text FROM api_token t")))
        else:
            dump = "\n".join("|".join(map(str, r)) for r in await conn.execute(select(api_token)))
    assert row.token_hash in dump
    assert secret_part not in dump
    if auth_db.url.startswith("sqlite"):
        path = Path(auth_db.url.split("///", 1)[1])
        # The database file and its write-ahead log, where fresh rows live until a checkpoint.
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert row.token_hash.encode() in raw
        assert secret_part.encode() not in raw


async def test_the_issued_token_repr_hides_the_token(auth_db: AuthDatabase) -> None:
    async with auth_db.engine.begin() as conn:
        issued = await tokens.issue_token(
            conn, role=Role.ADMIN, name="repr", secret_key=KEY, now=NOW
        )
    assert issued.token not in repr(issued)
    token_id, token = issued
    assert (token_id, token) == (issued.id, issued.token)


# verification ----------------------------------------------------------------------------


async def test_a_valid_token_yields_its_principal(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(auth_db, role="partner", partner_code="ACME", name="acme app")
    principal = await verify(auth_db, token)
    assert principal == Principal(
        subject=f"token:{token_id}",
        role=Role.PARTNER,
        scopes=default_scopes(Role.PARTNER),
        name="acme app",
        token_id=token_id,
        partner_id=auth_db.partner_ids["ACME"],
    )


async def test_verification_is_one_indexed_select_then_cached(auth_db: AuthDatabase) -> None:
    _, token = await issue(auth_db)
    with count_statements(auth_db.engine) as log:
        await verify(auth_db, token, cache_seconds=60)
        token_reads = [s for s in log.statements if "api_token" in s]
    assert len(token_reads) == 1 and "token_hash" in token_reads[0]
    with count_statements(auth_db.engine) as log:
        await verify(auth_db, token, cache_seconds=60)
    assert log.statements == []
    await tokens.flush_last_used()


async def test_expired_token_is_refused(auth_db: AuthDatabase) -> None:
    _, token = await issue(auth_db, expires_in=dt.timedelta(hours=1))
    assert (await verify(auth_db, token, now=NOW + dt.timedelta(minutes=59))).role is Role.ADMIN
    # Still in the cache from the line above: the expiry holds all the same.
    error = await refused(auth_db, token, now=NOW + dt.timedelta(hours=1), cache_seconds=60)
    assert error.reason is AuthFailure.EXPIRED
    tokens.reset_caches()
    error = await refused(auth_db, token, now=NOW + dt.timedelta(hours=2))
    assert error.reason is AuthFailure.EXPIRED
    assert error.code == "UNAUTHENTICATED"
    await tokens.flush_last_used()


async def test_revoked_token_is_refused_at_once_in_this_process(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(auth_db)
    await verify(auth_db, token, cache_seconds=60)  # now cached for a minute
    async with auth_db.engine.begin() as conn:
        info = await tokens.revoke_token(conn, token_id, now=NOW)
    assert info.revoked_at == NOW
    error = await refused(auth_db, token, cache_seconds=60)
    assert error.reason is AuthFailure.REVOKED
    assert str(token_id) in error.detail
    await tokens.flush_last_used()


async def test_revocation_by_another_process_holds_within_the_cache_time(
    auth_db: AuthDatabase,
) -> None:
    token_id, token = await issue(auth_db)
    await verify(auth_db, token, cache_seconds=0.3)
    async with auth_db.engine.begin() as conn:  # as the CLI in another process would
        await conn.execute(
            update(api_token).where(api_token.c.id == token_id).values(revoked_at=NOW)
        )
    assert (await verify(auth_db, token, cache_seconds=0.3)).token_id == token_id
    await asyncio.sleep(0.35)
    assert (await refused(auth_db, token, cache_seconds=0.3)).reason is AuthFailure.REVOKED
    await tokens.flush_last_used()


async def test_revoking_twice_keeps_the_first_time_and_unknown_ids_are_refused(
    auth_db: AuthDatabase,
) -> None:
    token_id, _ = await issue(auth_db)
    async with auth_db.engine.begin() as conn:
        await tokens.revoke_token(conn, token_id, now=NOW)
        again = await tokens.revoke_token(conn, token_id, now=NOW + dt.timedelta(days=1))
    assert again.revoked_at == NOW
    with pytest.raises(TokenError) as caught:
        async with auth_db.engine.begin() as conn:
            await tokens.revoke_token(conn, 999_999, now=NOW)
    assert caught.value.code is TokenErrorCode.TOKEN_NOT_FOUND


async def test_unknown_and_malformed_tokens_are_refused(auth_db: AuthDatabase) -> None:
    unknown = "c360_" + secrets.token_urlsafe(32)
    assert (await refused(auth_db, unknown)).reason is AuthFailure.INVALID
    with count_statements(auth_db.engine) as log:
        for malformed in ("c360_short", "c360_" + "a" * 44, "c360_" + "!" * 43, ""):
            assert (await refused(auth_db, malformed)).reason is AuthFailure.MALFORMED
    assert log.statements == []  # refused without a database round trip


async def test_a_new_secret_key_invalidates_every_token(auth_db: AuthDatabase) -> None:
    _, token = await issue(auth_db)
    with pytest.raises(AuthenticationError) as caught:
        await tokens.verify_token(token, engine=auth_db.engine, secret_key="rotated", now=NOW)
    assert caught.value.reason is AuthFailure.INVALID


async def test_client_message_does_not_tell_unknown_from_expired_or_revoked(
    auth_db: AuthDatabase,
) -> None:
    expiring_id, expiring = await issue(auth_db, expires_in=dt.timedelta(minutes=1))
    revoked_id, revoked = await issue(auth_db)
    async with auth_db.engine.begin() as conn:
        await tokens.revoke_token(conn, revoked_id, now=NOW)
    errors = [
        await refused(auth_db, "c360_" + secrets.token_urlsafe(32)),
        await refused(auth_db, expiring, now=NOW + dt.timedelta(hours=1)),
        await refused(auth_db, revoked),
    ]
    assert [e.reason for e in errors] == [
        AuthFailure.INVALID,
        AuthFailure.EXPIRED,
        AuthFailure.REVOKED,
    ]
    assert len({e.message for e in errors}) == 1
    assert len({e.www_authenticate for e in errors}) == 1
    assert {expiring, revoked}.isdisjoint(e.message + e.detail + repr(e) for e in errors)


async def test_last_use_is_recorded_at_most_once_a_minute(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(auth_db)
    await verify(auth_db, token, cache_seconds=0)
    await tokens.flush_last_used()
    assert (await stored_row(auth_db, token_id)).last_used_at == NOW
    await verify(auth_db, token, now=NOW + dt.timedelta(seconds=30), cache_seconds=0)
    await tokens.flush_last_used()
    assert (await stored_row(auth_db, token_id)).last_used_at == NOW
    later = NOW + dt.timedelta(seconds=61)
    await verify(auth_db, token, now=later, cache_seconds=0)
    await tokens.flush_last_used()
    assert (await stored_row(auth_db, token_id)).last_used_at == later


async def test_a_stored_scope_outside_the_role_is_not_granted(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(auth_db, role=Role.PARTNER, partner_code="ACME")
    async with auth_db.engine.begin() as conn:  # e.g. the role was narrowed since
        await conn.execute(
            update(api_token)
            .where(api_token.c.id == token_id)
            .values(scopes="customer:read audit:read no:such")
        )
    assert (await verify(auth_db, token)).scopes == {Scope.CUSTOMER_READ}
    await tokens.flush_last_used()


# scopes and roles -------------------------------------------------------------------------


async def test_scopes_default_to_the_roles_default_set(auth_db: AuthDatabase) -> None:
    for role in (Role.ADMIN, Role.MARKETING, Role.SERVICE):
        _, token = await issue(auth_db, role=role)
        assert (await verify(auth_db, token)).scopes == default_scopes(role)
    await tokens.flush_last_used()


async def test_scopes_can_be_narrowed(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(
        auth_db, role=Role.PARTNER, partner_code="BETA", scopes=["customer:read", "warranty:read"]
    )
    assert (await verify(auth_db, token)).scopes == {Scope.CUSTOMER_READ, Scope.WARRANTY_READ}
    assert (await stored_row(auth_db, token_id)).scopes == "customer:read warranty:read"
    await tokens.flush_last_used()


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"role": Role.MARKETING, "scopes": ["customer:pii"]}, C.INVALID_SCOPES, "scopes"),
        ({"role": Role.PARTNER, "partner_code": "ACME", "scopes": ["audit:read"]},
         C.INVALID_SCOPES, "scopes"),
        ({"scopes": ["customer:read", "customer:everything"]}, C.INVALID_SCOPES, "scopes"),
        ({"scopes": []}, C.INVALID_SCOPES, "scopes"),
        ({"role": "superuser"}, C.INVALID_ROLE, "role"),
        ({"role": Role.PARTNER}, C.PARTNER_REQUIRED, "partner"),
        ({"role": Role.PARTNER, "partner_code": "NOPE"}, C.PARTNER_NOT_FOUND, "partner"),
        ({"role": Role.CUSTOMER}, C.CUSTOMER_REQUIRED, "customer"),
        ({"role": Role.CUSTOMER, "customer_id": 987_654}, C.CUSTOMER_NOT_FOUND,
         "customer"),
        ({"role": Role.ADMIN, "partner_code": "ACME"}, C.NOT_ALLOWED_FOR_ROLE, "partner"),
        ({"role": Role.SERVICE, "customer_id": 1}, C.NOT_ALLOWED_FOR_ROLE, "customer"),
        ({"role": Role.MARKETING, "branch": "WAW"}, C.NOT_ALLOWED_FOR_ROLE, "branch"),
        ({"role": Role.TELLER, "branch": " "}, C.INVALID_INPUT, "branch"),
        ({"name": ""}, C.INVALID_INPUT, "name"),
        ({"expires_in": dt.timedelta(0)}, C.INVALID_INPUT, "expires_in"),
    ],
)  # fmt: skip
async def test_refused_requests_name_the_cause_and_write_nothing(
    auth_db: AuthDatabase, kwargs: dict[str, Any], code: TokenErrorCode, field: str
) -> None:
    before = await token_count(auth_db)
    with pytest.raises(TokenError) as caught:
        await issue(auth_db, **kwargs)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert await token_count(auth_db) == before


async def test_role_limits_reach_the_principal(auth_db: AuthDatabase) -> None:
    customer_id = auth_db.customer_ids[1]
    _, customer_token = await issue(auth_db, role=Role.CUSTOMER, customer_id=customer_id)
    _, teller_token = await issue(auth_db, role=Role.TELLER, branch="KRK")
    customer = await verify(auth_db, customer_token)
    teller = await verify(auth_db, teller_token)
    assert (customer.role, customer.customer_id, customer.partner_id) == (
        Role.CUSTOMER,
        customer_id,
        None,
    )
    assert customer.scopes == default_scopes(Role.CUSTOMER)
    assert (teller.role, teller.branch, teller.scopes) == (
        Role.TELLER,
        "KRK",
        allowed_scopes(Role.TELLER),
    )
    await tokens.flush_last_used()


async def test_listing_shows_everything_but_the_token(auth_db: AuthDatabase) -> None:
    token_id, token = await issue(auth_db, role=Role.PARTNER, partner_code="ACME", name="listed")
    async with auth_db.engine.connect() as conn:
        infos = await tokens.list_tokens(conn)
    (info,) = [i for i in infos if i.id == token_id]
    assert (info.name, info.role, info.partner_code) == ("listed", Role.PARTNER, "ACME")
    assert token not in repr(infos)
    assert (await stored_row(auth_db, token_id)).token_hash not in repr(infos)
