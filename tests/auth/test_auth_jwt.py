"""JWTs: RS256/ES256 against a configured key set; every classic forgery refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from auth_support import AuthDatabase
from jwt.algorithms import RSAAlgorithm
from jwt_support import (
    AUDIENCE,
    EC_KEY,
    IMPOSTOR_KEY,
    ISSUER,
    JWKS,
    RSA_KEY,
    claims,
    forged,
    public_jwk,
    rsa_public_pem,
    sign,
)

from c360.auth import jwt as c360_jwt
from c360.auth.errors import AuthenticationError, AuthFailure
from c360.auth.jwt import JwksError, JwtVerifier
from c360.auth.principal import Principal
from c360.auth.scopes import Role, Scope, default_scopes

VERIFIER = JwtVerifier.from_jwks(JWKS, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=30)


@pytest.fixture(autouse=True)
def _fresh_jwt_cache() -> None:
    c360_jwt.reset_cache()


async def verify(db: AuthDatabase, token: str, verifier: JwtVerifier = VERIFIER) -> Principal:
    return await c360_jwt.verify_jwt(token, verifier=verifier, engine=db.engine)


async def refused(db: AuthDatabase, token: str) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await verify(db, token)
    assert caught.value.code == "UNAUTHENTICATED"
    return caught.value


# signatures and registered claims ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "alg", "kid"), [(RSA_KEY, "RS256", "rsa-1"), (EC_KEY, "ES256", "ec-1")]
)
async def test_rs256_and_es256_tokens_are_accepted(
    auth_db: AuthDatabase, key: Any, alg: str, kid: str
) -> None:
    principal = await verify(auth_db, sign(claims(), key=key, alg=alg, kid=kid))
    assert principal == Principal(
        subject=f"jwt:{ISSUER}#u-1234",
        role=Role.ADMIN,
        scopes=default_scopes(Role.ADMIN),
        name="u-1234",
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://evil.example"}, AuthFailure.INVALID),
        ({"aud": "another-api"}, AuthFailure.INVALID),
        ({"exp": -60}, AuthFailure.EXPIRED),  # a minute ago: beyond the 30 s leeway
        ({"nbf": 120}, AuthFailure.INVALID),  # not valid for another two minutes
        ({"iat": 120}, AuthFailure.INVALID),  # issued in the future
        ({"exp": None}, AuthFailure.INVALID),
        ({"aud": None}, AuthFailure.INVALID),
        ({"sub": None}, AuthFailure.INVALID),
    ],
)
async def test_wrong_or_missing_registered_claims_are_refused(
    auth_db: AuthDatabase, overrides: dict[str, Any], reason: AuthFailure
) -> None:
    now = claims()["iat"]
    relative = {k: now + v if k in ("exp", "nbf", "iat") and v is not None else v
                for k, v in overrides.items()}  # fmt: skip
    assert (await refused(auth_db, sign(claims(**relative)))).reason is reason


async def test_clock_skew_within_the_leeway_is_allowed(auth_db: AuthDatabase) -> None:
    now = claims()["iat"]
    token = sign(claims(exp=now - 10, nbf=now + 10, iat=now + 10))
    assert (await verify(auth_db, token)).role is Role.ADMIN


async def test_an_audience_list_containing_ours_is_accepted(auth_db: AuthDatabase) -> None:
    assert (await verify(auth_db, sign(claims(aud=["other", AUDIENCE])))).role is Role.ADMIN


@pytest.mark.parametrize("kid", ["rsa-2", None, ""])
async def test_unknown_or_missing_kid_is_refused(auth_db: AuthDatabase, kid: str | None) -> None:
    error = await refused(auth_db, sign(claims(), kid=kid))
    assert error.reason is AuthFailure.INVALID and "kid" in error.detail


async def test_a_token_signed_by_another_key_is_refused(auth_db: AuthDatabase) -> None:
    error = await refused(auth_db, sign(claims(), key=IMPOSTOR_KEY))
    assert error.reason is AuthFailure.INVALID and "Signature" in error.detail


async def test_alg_none_is_refused(auth_db: AuthDatabase) -> None:
    error = await refused(auth_db, forged(claims(), alg="none", kid="rsa-1"))
    assert error.reason is AuthFailure.INVALID and "'none'" in error.detail


async def test_hs256_signed_with_the_public_key_is_refused(auth_db: AuthDatabase) -> None:
    # The classic key confusion: the attacker knows the public key and HMACs with it.
    for secret in (rsa_public_pem(), json.dumps(JWKS["keys"][0]).encode()):
        error = await refused(auth_db, forged(claims(), alg="HS256", kid="rsa-1", secret=secret))
        assert error.reason is AuthFailure.INVALID and "'HS256'" in error.detail


@pytest.mark.parametrize(
    ("alg", "kid"), [("RS256", "ec-1"), ("PS256", "rsa-1"), ("RS512", "rsa-1")]
)
async def test_the_algorithm_must_be_the_keys_own(
    auth_db: AuthDatabase, alg: str, kid: str
) -> None:
    # Signed correctly with the RSA key, but claiming another algorithm or another key.
    assert (await refused(auth_db, sign(claims(), alg=alg, kid=kid))).reason is AuthFailure.INVALID


@pytest.mark.parametrize("token", ["a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "...."])
async def test_garbage_is_refused_as_malformed_or_invalid(
    auth_db: AuthDatabase, token: str
) -> None:
    assert (await refused(auth_db, token)).reason in (AuthFailure.MALFORMED, AuthFailure.INVALID)


# claims -> principal -----------------------------------------------------------------------


async def test_partner_claims_resolve_the_partner_code(auth_db: AuthDatabase) -> None:
    token = sign(claims(c360_role="partner", c360_partner="BETA", scope="openid customer:read"))
    principal = await verify(auth_db, token)
    assert (principal.role, principal.partner_id, principal.scopes) == (
        Role.PARTNER,
        auth_db.partner_ids["BETA"],
        {Scope.CUSTOMER_READ},
    )


async def test_customer_claims_map_to_the_customer(auth_db: AuthDatabase) -> None:
    customer_id = auth_db.customer_ids[0]
    for claim in (customer_id, str(customer_id)):
        c360_jwt.reset_cache()
        token = sign(
            claims(c360_role=None, role="customer", c360_customer_id=claim, sub=f"cust-{claim!r}")
        )
        principal = await verify(auth_db, token)
        assert (principal.role, principal.customer_id) == (Role.CUSTOMER, customer_id)
        assert principal.scopes == default_scopes(Role.CUSTOMER)


@pytest.mark.parametrize(
    ("scope_claims", "expected"),
    [
        ({}, default_scopes(Role.MARKETING)),
        ({"scope": "customer:read loyalty:read"}, {Scope.CUSTOMER_READ, Scope.LOYALTY_READ}),
        ({"scp": ["customer:read", "holdings:read"]}, {Scope.CUSTOMER_READ, Scope.HOLDINGS_READ}),
        ({"scp": "customer:read"}, {Scope.CUSTOMER_READ}),
        # Outside the marketing role: dropped, not granted.
        ({"scope": "customer:read customer:pii audit:read"}, {Scope.CUSTOMER_READ}),
        ({"scope": "openid profile"}, set()),
    ],
)
async def test_scopes_are_intersected_with_the_roles_allowed_set(
    auth_db: AuthDatabase, scope_claims: dict[str, Any], expected: set[Scope]
) -> None:
    principal = await verify(auth_db, sign(claims(c360_role="marketing", **scope_claims)))
    assert principal.scopes == expected


async def test_a_teller_branch_is_carried(auth_db: AuthDatabase) -> None:
    principal = await verify(auth_db, sign(claims(c360_role="teller", c360_branch="POZ")))
    assert (principal.role, principal.branch) == (Role.TELLER, "POZ")


@pytest.mark.parametrize(
    "overrides",
    [
        {"c360_role": None},
        {"c360_role": "root"},
        {"c360_role": "partner"},  # no partner
        {"c360_role": "partner", "c360_partner": "NOPE"},
        {"c360_role": "customer"},  # no customer
        {"c360_role": "customer", "c360_customer_id": "Q3VzdG9tZXI6MQ"},
        {"c360_role": "admin", "c360_partner": "ACME"},
        {"c360_role": "service", "c360_customer_id": 1},
        {"c360_role": "marketing", "c360_branch": "WAW"},
        {"scope": 42},
        {"sub": ""},
    ],
)
async def test_claims_that_contradict_the_role_are_refused(
    auth_db: AuthDatabase, overrides: dict[str, Any]
) -> None:
    error = await refused(auth_db, sign(claims(**overrides)))
    assert error.reason is AuthFailure.INVALID and error.detail.startswith("jwt claims:")


# the key set -------------------------------------------------------------------------------


def test_a_key_set_with_a_private_key_is_refused() -> None:
    private = {**RSAAlgorithm.to_jwk(RSA_KEY, as_dict=True), "kid": "leaked"}
    with pytest.raises(JwksError, match="private"):
        JwtVerifier.from_jwks({"keys": [private]}, issuer=ISSUER, audience=AUDIENCE)


@pytest.mark.parametrize(
    ("jwks", "message"),
    [
        ("not json", "not JSON"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}, "no RS256 or ES256"),
        ({"keys": [public_jwk(RSA_KEY, "a"), public_jwk(EC_KEY, "a")]}, "two keys"),
        ({"keys": [{k: v for k, v in public_jwk(RSA_KEY, "x").items() if k != "kid"}]}, "kid"),
        ({"nokeys": []}, "keys"),
    ],
)
def test_unusable_key_sets_are_refused_at_load(jwks: Any, message: str) -> None:
    with pytest.raises(JwksError, match=message):
        JwtVerifier.from_jwks(jwks, issuer=ISSUER, audience=AUDIENCE)


async def test_symmetric_and_foreign_keys_are_skipped(auth_db: AuthDatabase) -> None:
    verifier = JwtVerifier.from_jwks(
        {
            "keys": [
                {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
                {**public_jwk(RSA_KEY, "enc"), "use": "enc"},
                {**public_jwk(RSA_KEY, "ps"), "alg": "PS256"},
                public_jwk(RSA_KEY, "rsa-1"),
            ]
        },
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    assert verifier.key_ids == {"rsa-1"}
    hs = forged(claims(), alg="HS256", kid="hmac", secret=b"secret")
    with pytest.raises(AuthenticationError):
        await c360_jwt.verify_jwt(hs, verifier=verifier, engine=auth_db.engine)
