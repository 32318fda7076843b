"""JWTs from the bank's identity provider, verified against a configured public key set.

The key set (a JWKS document) comes from ``C360_JWKS_FILE`` or ``C360_JWKS`` and is
never fetched over the network: rotating keys means updating it and restarting the
workers (publish the new key beside the old one first). Only RS256 (RSA keys) and
ES256 (EC P-256 keys) are accepted. The algorithm is taken from the key the ``kid``
names, never from the token's header, so ``alg: none``, HS256 signed with the public
key as the secret, and any other algorithm are refused (no key confusion). A JWK with a
private part, or marked for encryption, is refused when the set is loaded.

Every token must carry ``iss`` (= ``C360_JWT_ISSUER``), ``aud`` (containing
``C360_JWT_AUDIENCE``), ``exp`` and ``sub``; ``exp``, ``nbf`` and ``iat`` are checked with
``C360_JWT_LEEWAY_SECONDS`` of clock skew. Claims map to the principal:

    c360_role (or role)     the role; required
    scope / scp             scopes, space-separated (``scp``: a list or a string), kept
                            only within the role's allowed set; no claim: the role's
                            default set. Other scopes (``openid``...) are ignored.
    c360_partner            partner code, resolved to the partner; partner role only
    c360_customer_id        the customer number (JSON number or string); customer role only
    c360_branch             a teller's branch; teller role only

Claims that contradict the role (a partner code on a staff token...) make the token
invalid rather than being ignored: they mean the identity provider is misconfigured.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from c360.auth.cache import PrincipalCache
from c360.auth.errors import AuthenticationError, AuthFailure
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope, allowed_scopes, default_scopes
from c360.consent.models import Partner
from c360.settings import Settings

__all__ = ["ACCEPTED_ALGORITHMS", "JwksError", "JwtVerifier", "jwt_verifier", "verify_jwt"]

log = logging.getLogger("c360.auth")

# Key type (and curve) -> the one algorithm a key of that type verifies.
ACCEPTED_ALGORITHMS = {("RSA", None): "RS256", ("EC", "P-256"): "ES256"}
_MAX_CLAIM_LENGTH = 200

partner: Table = Partner.__table__  # type: ignore[assignment]
_cache = PrincipalCache()


class JwksError(ValueError):
    """The configured key set cannot be used: a deployment error, raised at load."""


@dataclass(frozen=True, slots=True)
class _Key:
    algorithm: str
    key: Any  # a cryptography public key


class JwtVerifier:
    """Checks signatures and the registered claims of JWTs from one identity provider."""

    def __init__(
        self, keys: dict[str, _Key], *, issuer: str, audience: str, leeway_seconds: int
    ) -> None:
        self._keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = dt.timedelta(seconds=leeway_seconds)

    @classmethod
    def from_jwks(
        cls, jwks: str | dict[str, Any], *, issuer: str, audience: str, leeway_seconds: int = 30
    ) -> JwtVerifier:
        """Load the signing keys of a JWKS document (JSON text or parsed)."""
        try:
            document = json.loads(jwks) if isinstance(jwks, str) else jwks
        except ValueError as exc:
            raise JwksError(f"the JWKS is not JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise JwksError('the JWKS must be an object with a "keys" list')
        keys: dict[str, _Key] = {}
        for jwk in document["keys"]:
            loaded = _load_key(jwk)
            if loaded is None:
                continue
            kid, key = loaded
            if kid in keys:
                raise JwksError(f"the JWKS has two keys with kid {kid!r}")
            keys[kid] = key
        if not keys:
            raise JwksError("the JWKS has no RS256 or ES256 signing key")
        return cls(keys, issuer=issuer, audience=audience, leeway_seconds=leeway_seconds)

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims, or ``AuthenticationError``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise AuthenticationError(AuthFailure.MALFORMED, f"jwt: {exc}") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ACCEPTED_ALGORITHMS.values():
            raise AuthenticationError(AuthFailure.INVALID, f"jwt: algorithm {algorithm!r} refused")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationError(AuthFailure.INVALID, "jwt: unknown kid")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],  # the key's, whatever the header says
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError(AuthFailure.EXPIRED, "jwt: expired") from None
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(AuthFailure.INVALID, f"jwt: {exc}") from None


def _load_key(jwk: Any) -> tuple[str, _Key] | None:
    """(kid, key) of a signing key c360 accepts; None for a key of another kind."""
    if not isinstance(jwk, dict):
        raise JwksError("every JWKS key must be an object")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise JwksError("every JWKS key needs a kid: tokens select their key by it")
    if "d" in jwk:
        raise JwksError(f"key {kid!r} holds a private key: configure public keys only")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    algorithm = ACCEPTED_ALGORITHMS.get((kty, crv if kty == "EC" else None))
    if (
        algorithm is None
        or jwk.get("use", "sig") != "sig"
        or jwk.get("alg", algorithm) != algorithm
    ):
        log.warning("JWKS key %r skipped: c360 accepts RS256 and ES256 signing keys only", kid)
        return None
    try:
        return kid, _Key(algorithm, jwt.PyJWK(jwk, algorithm=algorithm).key)
    except jwt.PyJWKError as exc:
        raise JwksError(f"key {kid!r} cannot be loaded: {exc}") from None


def jwt_verifier(settings: Settings) -> JwtVerifier | None:
    """The verifier for the configured key set, loaded once; None when there is none.

    Raises ``JwksError`` for an unusable key set: call it at startup to fail early.
    """
    if not settings.jwt_enabled:
        return None
    assert settings.jwt_issuer and settings.jwt_audience  # Settings refuses them missing
    return _verifier(
        settings.jwks_file,
        settings.jwks,
        settings.jwt_issuer,
        settings.jwt_audience,
        settings.jwt_leeway_seconds,
    )


@functools.lru_cache(maxsize=8)
def _verifier(
    path: Path | None, text: str | None, issuer: str, audience: str, leeway_seconds: int
) -> JwtVerifier:
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise JwksError(f"cannot read C360_JWKS_FILE {path}: {exc}") from None
    assert text is not None
    return JwtVerifier.from_jwks(
        text, issuer=issuer, audience=audience, leeway_seconds=leeway_seconds
    )


async def verify_jwt(
    token: str, *, verifier: JwtVerifier, engine: AsyncEngine, cache_seconds: float = 2.0
) -> Principal:
    """The principal of a valid JWT, or ``AuthenticationError``.

    A partner claim costs one indexed SELECT; the principal is then remembered for
    ``cache_seconds`` (never past the token's ``exp``).
    """
    # Keyed by verifier too: the same token may be valid for one configuration only.
    key = hashlib.sha256(f"{id(verifier)}\0{token}".encode()).hexdigest()
    now = dt.datetime.now(dt.UTC)
    cached = _cache.get(key, now=now)
    if cached is not None and (cached[1] is None or now < cached[1]):
        return cached[0]
    claims = verifier.decode(token)
    principal = await _principal_of(claims, engine)
    expires_at = dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
    _cache.put(key, principal, ttl=cache_seconds, expires_at=expires_at + verifier.leeway)
    return principal


async def _principal_of(claims: dict[str, Any], engine: AsyncEngine) -> Principal:
    sub, iss = claims["sub"], claims["iss"]
    if not isinstance(sub, str) or not sub or len(sub) > _MAX_CLAIM_LENGTH:
        raise _invalid("sub must be a non-empty string")
    role_name = claims.get("c360_role", claims.get("role"))
    try:
        role = Role(role_name)
    except ValueError:
        raise _invalid(f"unknown role {str(role_name)[:40]!r}") from None
    return Principal(
        subject=f"jwt:{iss}#{sub}",
        role=role,
        scopes=_scopes(claims, role),
        name=sub,
        partner_id=await _partner_id(claims.get("c360_partner"), role, engine),
        customer_id=_customer_id(claims.get("c360_customer_id"), role),
        branch=_branch(claims.get("c360_branch"), role),
    )


def _scopes(claims: dict[str, Any], role: Role) -> frozenset[Scope]:
    if "scope" in claims:
        names = claims["scope"]
    elif "scp" in claims:
        names = claims["scp"]
    else:
        return default_scopes(role)
    if isinstance(names, str):
        names = names.split()
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _invalid("scope must be a space-separated string, scp a list of strings")
    known = {Scope(n) for n in names if n in Scope._value2member_map_}
    return frozenset(known) & allowed_scopes(role)


async def _partner_id(code: Any, role: Role, engine: AsyncEngine) -> int | None:
    if role is not Role.PARTNER:
        if code is not None:
            raise _invalid("c360_partner on a token whose role is not partner")
        return None
    if not isinstance(code, str) or not code or len(code) > _MAX_CLAIM_LENGTH:
        raise _invalid("a partner token needs c360_partner")
    async with engine.connect() as conn:
        partner_id = await conn.scalar(select(partner.c.id).where(partner.c.code == code))
    if partner_id is None:
        raise _invalid("c360_partner names no partner")
    return int(partner_id)


def _customer_id(value: Any, role: Role) -> int | None:
    if role is not Role.CUSTOMER:
        if value is not None:
            raise _invalid("c360_customer_id on a token whose role is not customer")
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) < 19:
        return int(value)
    raise _invalid("a customer token needs c360_customer_id, the customer number")


def _branch(value: Any, role: Role) -> str | None:
    if value is None:
        return None
    if role is not Role.TELLER:
        raise _invalid("c360_branch on a token whose role is not teller")
    if not isinstance(value, str) or not value.strip() or len(value) > 16:
        raise _invalid("c360_branch must be a branch code")
    return value.strip()


def _invalid(detail: str) -> AuthenticationError:
    return AuthenticationError(AuthFailure.INVALID, f"jwt claims: {detail}")


def reset_cache() -> None:
    """Forget remembered JWT principals (tests)."""
    _cache.clear()
