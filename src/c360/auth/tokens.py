"""Opaque bearer tokens: issue, list, revoke and verify.

A token is ``c360_`` followed by 43 URL-safe characters (256 random bits), so a
malformed string is refused without touching the database and a real one cannot be
guessed. Only ``HMAC-SHA256(C360_SECRET_KEY, token)`` is stored: verifying is one
SELECT on the unique index of that hash. Changing the secret key invalidates every
token (and every stored national-id hash): issue new ones.

Writes (``issue_token``, ``revoke_token``) run on the caller's connection; the caller
owns the transaction (``async with engine.begin() as conn``), so a refused request
writes nothing.

Verified tokens are remembered in process for ``C360_TOKEN_CACHE_SECONDS`` (default 2):
a revocation made by another process (another worker, the CLI) takes effect within that
time; one made through ``revoke_token`` in this process takes effect at once. A token's
expiry is checked on every request, cached or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Row, Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from c360.auth.cache import LastUsedRecorder, PrincipalCache
from c360.auth.errors import AuthenticationError, AuthFailure, TokenError, TokenErrorCode
from c360.auth.models import ApiToken
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope, allowed_scopes, default_scopes
from c360.consent.models import Partner
from c360.customers.models import Customer

__all__ = [
    "TOKEN_PREFIX",
    "IssuedToken",
    "TokenInfo",
    "flush_last_used",
    "get_token",
    "hash_token",
    "issue_token",
    "list_tokens",
    "parse_role",
    "parse_scopes",
    "revoke_token",
    "verify_token",
]

TOKEN_PREFIX = "c360_"
_TOKEN_PATTERN = re.compile(r"c360_[A-Za-z0-9_-]{43}")
MAX_NAME_LENGTH = 120
MAX_BRANCH_LENGTH = 16
MAX_COST_BUDGET = 10_000_000

api_token: Table = ApiToken.__table__  # type: ignore[assignment]
partner: Table = Partner.__table__  # type: ignore[assignment]
customer: Table = Customer.__table__  # type: ignore[assignment]

# One per process: verify_token reads them, revoke_token invalidates them.
_cache = PrincipalCache()
_last_used = LastUsedRecorder()

Code = TokenErrorCode


class IssuedToken(NamedTuple):
    """``(token_id, plaintext)``. The plaintext exists only here: show it once."""

    id: int
    token: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"IssuedToken(id={self.id}, token='c360_***')"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What may be shown about a token: everything but the token and its hash."""

    id: int
    name: str
    role: Role
    scopes: frozenset[Scope]
    partner_id: int | None
    partner_code: str | None
    customer_id: int | None
    branch: str | None
    cost_budget: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


def hash_token(token: str, secret_key: str) -> str:
    """The stored form of a token: HMAC-SHA256 keyed with the secret key, hex."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def parse_role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        raise TokenError(
            Code.INVALID_ROLE, f"unknown role {value!r}: one of {roles}", field="role"
        ) from None


def parse_scopes(values: Iterable[Scope | str]) -> frozenset[Scope]:
    """Scope names to scopes; an unknown name is refused, not ignored."""
    scopes, unknown = set(), []
    for value in values:
        try:
            scopes.add(Scope(value))
        except ValueError:
            unknown.append(str(value))
    if unknown:
        raise TokenError(
            Code.INVALID_SCOPES, f"unknown scopes: {', '.join(unknown)}", field="scopes"
        )
    return frozenset(scopes)


def _granted_scopes(role: Role, requested: Iterable[Scope | str] | None) -> frozenset[Scope]:
    if requested is None:
        return default_scopes(role)
    scopes = parse_scopes(requested)
    if not scopes:
        raise TokenError(Code.INVALID_SCOPES, "name at least one scope", field="scopes")
    outside = scopes - allowed_scopes(role)
    if outside:
        raise TokenError(
            Code.INVALID_SCOPES,
            f"a {role.value} token may not have {_join(outside)} "
            f"(allowed: {_join(allowed_scopes(role))})",
            field="scopes",
        )
    return scopes


def _join(scopes: Iterable[Scope]) -> str:
    return " ".join(sorted(scope.value for scope in scopes))


async def issue_token(
    conn: AsyncConnection,
    *,
    role: Role | str,
    name: str,
    scopes: Iterable[Scope | str] | None = None,
    partner_code: str | None = None,
    customer_id: int | None = None,
    branch: str | None = None,
    cost_budget: int | None = None,
    expires_in: dt.timedelta | None = None,
    secret_key: str,
    now: dt.datetime,
) -> IssuedToken:
    """Create a token and return ``(token_id, plaintext)``; only its hash is stored.

    ``scopes`` defaults to the role's default set and must lie within the role's
    allowed set. A partner token needs an existing partner (by code), a customer token
    an existing customer; no other role takes either. ``branch`` limits a teller.
    ``expires_in=None`` means the token never expires.
    """
    role = parse_role(role)
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenError(
            Code.INVALID_INPUT, f"name must be 1 to {MAX_NAME_LENGTH} characters", field="name"
        )
    granted = _granted_scopes(role, scopes)
    if expires_in is not None and expires_in <= dt.timedelta(0):
        raise TokenError(Code.INVALID_INPUT, "expiry must be in the future", field="expires_in")
    partner_id = await _partner_for(conn, role, partner_code)
    await _check_customer(conn, role, customer_id)
    branch = _branch_for(role, branch)
    if cost_budget is not None and not 1 <= cost_budget <= MAX_COST_BUDGET:
        raise TokenError(
            Code.INVALID_INPUT,
            f"cost budget must be 1 to {MAX_COST_BUDGET:,}",
            field="cost_budget",
        )

    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = (
        await conn.execute(
            insert(api_token)
            .values(
                name=name,
                role=role,
                scopes=_join(granted),
                partner_id=partner_id,
                customer_id=customer_id,
                branch=branch,
                cost_budget=cost_budget,
                token_hash=hash_token(plaintext, secret_key),
                created_at=now,
                expires_at=None if expires_in is None else now + expires_in,
            )
            .returning(api_token.c.id)
        )
    ).scalar_one()
    return IssuedToken(token_id, plaintext)


async def _partner_for(conn: AsyncConnection, role: Role, code: str | None) -> int | None:
    if role is not Role.PARTNER:
        if code is not None:
            raise TokenError(
                Code.NOT_ALLOWED_FOR_ROLE, "only a partner token names a partner", field="partner"
            )
        return None
    if not code:
        raise TokenError(Code.PARTNER_REQUIRED, "a partner token needs --partner", field="partner")
    partner_id = await conn.scalar(select(partner.c.id).where(partner.c.code == code))
    if partner_id is None:
        raise TokenError(Code.PARTNER_NOT_FOUND, f"no partner {code!r}", field="partner")
    return int(partner_id)


async def _check_customer(conn: AsyncConnection, role: Role, customer_id: int | None) -> None:
    if role is not Role.CUSTOMER:
        if customer_id is not None:
            raise TokenError(
                Code.NOT_ALLOWED_FOR_ROLE,
                "only a customer token names a customer",
                field="customer",
            )
        return
    if customer_id is None:
        raise TokenError(
            Code.CUSTOMER_REQUIRED, "a customer token needs --customer", field="customer"
        )
    exists = await conn.scalar(select(customer.c.id).where(customer.c.id == customer_id))
    if exists is None:
        raise TokenError(Code.CUSTOMER_NOT_FOUND, f"no customer {customer_id}", field="customer")


def _branch_for(role: Role, branch: str | None) -> str | None:
    if branch is None:
        return None
    if role is not Role.TELLER:
        raise TokenError(
            Code.NOT_ALLOWED_FOR_ROLE, "only a teller token is limited to a branch", field="branch"
        )
    branch = branch.strip()
    if not branch or len(branch) > MAX_BRANCH_LENGTH:
        raise TokenError(
            Code.INVALID_INPUT,
            f"branch must be 1 to {MAX_BRANCH_LENGTH} characters",
            field="branch",
        )
    return branch


def _info_query() -> Any:
    return select(
        *(c for c in api_token.c if c.name != "token_hash"),
        partner.c.code.label("partner_code"),
    ).select_from(api_token.outerjoin(partner, partner.c.id == api_token.c.partner_id))


def _info(row: Row[Any]) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        role=row.role,
        scopes=_stored_scopes(row.scopes),
        partner_id=row.partner_id,
        partner_code=row.partner_code,
        customer_id=row.customer_id,
        branch=row.branch,
        cost_budget=row.cost_budget,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def _stored_scopes(text: str) -> frozenset[Scope]:
    # A scope renamed or dropped since the token was issued is no longer granted.
    return frozenset(Scope(name) for name in text.split() if name in Scope._value2member_map_)


async def list_tokens(conn: AsyncConnection) -> list[TokenInfo]:
    """Every token, oldest first, revoked and expired ones included."""
    rows = await conn.execute(_info_query().order_by(api_token.c.id))
    return [_info(row) for row in rows]


async def get_token(conn: AsyncConnection, token_id: int) -> TokenInfo | None:
    row = (await conn.execute(_info_query().where(api_token.c.id == token_id))).first()
    return None if row is None else _info(row)


async def revoke_token(conn: AsyncConnection, token_id: int, *, now: dt.datetime) -> TokenInfo:
    """Revoke a token for good; revoking it again keeps the first ``revoked_at``.

    This process stops accepting it at once; other processes within
    ``C360_TOKEN_CACHE_SECONDS``.
    """
    await conn.execute(
        update(api_token)
        .where(api_token.c.id == token_id, api_token.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    info = await get_token(conn, token_id)
    if info is None:
        raise TokenError(Code.TOKEN_NOT_FOUND, f"no token {token_id}", field="id")
    _cache.forget_token(token_id)
    return info


async def verify_token(
    token: str,
    *,
    engine: AsyncEngine,
    secret_key: str,
    now: dt.datetime | None = None,
    cache_seconds: float = 2.0,
) -> Principal:
    """The principal of a valid token, or ``AuthenticationError``.

    One indexed SELECT unless the token was verified in the last ``cache_seconds``.
    ``last_used_at`` is written in the background, at most once a minute per token.
    """
    now = now or dt.datetime.now(dt.UTC)
    if not _TOKEN_PATTERN.fullmatch(token):
        raise AuthenticationError(AuthFailure.MALFORMED, "not a c360 token")
    key = hash_token(token, secret_key)
    cached = _cache.get(key, now=now)
    if cached is not None:
        principal, expires_at = cached
        if expires_at is not None and expires_at <= now:
            _cache.forget(key)
            raise AuthenticationError(AuthFailure.EXPIRED, f"token {principal.token_id} expired")
    else:
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(api_token).where(api_token.c.token_hash == key))
            ).first()
        principal = _principal_of(row, now)
        _cache.put(key, principal, ttl=cache_seconds, expires_at=row.expires_at)
        _last_used.seen(row.id, row.last_used_at)
    assert principal.token_id is not None
    _last_used.note(principal.token_id, now, lambda: _touch(engine, principal.token_id, now))
    return principal


def _principal_of(row: Row[Any] | None, now: dt.datetime) -> Principal:
    if row is None:
        raise AuthenticationError(AuthFailure.INVALID, "unknown token")
    if row.revoked_at is not None:
        raise AuthenticationError(AuthFailure.REVOKED, f"token {row.id} revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthenticationError(AuthFailure.EXPIRED, f"token {row.id} expired")
    role = Role(row.role)
    return Principal(
        subject=f"token:{row.id}",
        role=role,
        # Deny by default: a role narrowed since issue narrows its old tokens too.
        scopes=_stored_scopes(row.scopes) & allowed_scopes(role),
        name=row.name,
        token_id=row.id,
        partner_id=row.partner_id,
        customer_id=row.customer_id,
        branch=row.branch,
        cost_budget=row.cost_budget,
    )


async def _touch(engine: AsyncEngine, token_id: int | None, now: dt.datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(api_token)
            .where(
                api_token.c.id == token_id,
                or_(api_token.c.last_used_at.is_(None), api_token.c.last_used_at < now),
            )
            .values(last_used_at=now)
        )


async def flush_last_used() -> None:
    """Wait for pending ``last_used_at`` writes: call before disposing of the engine."""
    await _last_used.drain()


def reset_caches() -> None:
    """Forget every verified token and recorded use (tests; after a key change)."""
    _cache.clear()
    _last_used.clear()
