"""Time what authentication adds to a request: opaque tokens and JWTs.

    .venv/bin/python bench/auth_verify.py --db both

Per backend, on a fresh database (see ``demo_load.fresh_database``): an opaque token
verified with the cache off (one indexed SELECT each time) and on (the usual case within
``C360_TOKEN_CACHE_SECONDS``), and RS256 / ES256 JWTs verified with the cache off
(signature and claims checks; no database round trip for staff roles). Prints
microseconds per verification, the median of five runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
from collections.abc import Awaitable, Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from demo_load import fresh_database
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from c360 import migrations
from c360.auth import tokens
from c360.auth.jwt import JwtVerifier, verify_jwt
from c360.auth.scopes import Role
from c360.database import create_engine

KEY = "bench-secret"


async def per_call_us(call: Callable[[], Awaitable[object]], n: int) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            await call()
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def jwt_verifier_and_tokens() -> tuple[JwtVerifier, dict[str, str]]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {
        "keys": [
            {**RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "r"},
            {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "e"},
        ]
    }
    now = int(time.time())
    claims = {"iss": "idp", "aud": "c360", "sub": "u", "exp": now + 3600, "c360_role": "teller"}
    signed = {
        "RS256": jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "r"}),
        "ES256": jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "e"}),
    }
    return JwtVerifier.from_jwks(jwks, issuer="idp", audience="c360"), signed


async def bench(backend: str, n: int) -> dict[str, float]:
    async with fresh_database(backend) as url:
        await migrations.upgrade_async(url)
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                _, token = await tokens.issue_token(
                    conn, role=Role.ADMIN, name="bench", secret_key=KEY, now=dt.datetime.now(dt.UTC)
                )
            verifier, signed = jwt_verifier_and_tokens()

            def opaque(cache_seconds: float) -> Callable[[], Awaitable[object]]:
                return lambda: tokens.verify_token(
                    token, engine=engine, secret_key=KEY, cache_seconds=cache_seconds
                )

            def signed_jwt(alg: str) -> Callable[[], Awaitable[object]]:
                return lambda: verify_jwt(
                    signed[alg], verifier=verifier, engine=engine, cache_seconds=0
                )

            results = {
                "opaque token, cache off": await per_call_us(opaque(0), n),
                "opaque token, cached": await per_call_us(opaque(60), n * 10),
                "JWT RS256, cache off": await per_call_us(signed_jwt("RS256"), n),
                "JWT ES256, cache off": await per_call_us(signed_jwt("ES256"), n),
            }
            await tokens.flush_last_used()
            return results
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("-n", type=int, default=1000, help="verifications per run")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for backend in backends:
        for label, us in asyncio.run(bench(backend, args.n)).items():
            print(f"{backend:<11} {label:<24} {us:8.1f} µs")


if __name__ == "__main__":
    main()
