"""CPU per request of c360's GraphQL path, in-process (no sockets to the app), for profiling.

    C360_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python bench/profile_app.py \
        --query teller --requests 400 [--cprofile teller.prof]

Runs the bench's query shapes (bench/queries/*.c360.graphql) through the ASGI app with
httpx's ASGITransport against a database holding demo data (`c360 demo-data`), with a
teller token it creates, and prints wall time and process CPU per request (user and
system; the in-process client is included). With ``--cprofile`` it writes a cProfile
file and prints the CPU by package (socket waits excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import cProfile
import os
import pstats
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from c360.app import create_served_app

BENCH = Path(__file__).resolve().parent
WAITS = ("<method 'poll' of 'select.epoll' objects>", "<method 'send' of '_socket.socket' objects>")


def global_id(pk: int) -> str:
    return base64.urlsafe_b64encode(f"Customer:{pk}".encode()).rstrip(b"=").decode()


def teller_token() -> str:
    argv = [str(BENCH.parent / ".venv/bin/c360"), "token", "create", "--role", "teller"]
    out = subprocess.run([*argv, "--name", "profile"], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1].strip()


async def bodies(client: httpx.AsyncClient, query: str, n: int) -> list[dict[str, Any]]:
    rng = random.Random(1)
    shape = (
        Path(query) if query.endswith(".graphql") else BENCH / "queries" / f"{query}.c360.graphql"
    )
    doc = shape.read_text()
    r = await client.post("/graphql", json={"query": "{customers(first:100){edges{cursor}}}"})
    cursors = [e["cursor"] for e in r.json()["data"]["customers"]["edges"]]
    if "$id" in doc:  # the teller's shape; customers 1..5,000: any demo database has them
        return [
            {"query": doc, "variables": {"id": global_id(rng.randint(1, 5000))}} for _ in range(n)
        ]
    return [{"query": doc, "variables": {"after": rng.choice(cursors)}} for _ in range(n)]


def by_package(stats: pstats.Stats, n: int) -> None:
    cpu: collections.Counter[str] = collections.Counter()
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (file, _line, name), (_cc, _nc, tottime, _ct, _callers) in entries:
        if name in WAITS:
            continue
        if "site-packages/" in file:
            key = file.split("site-packages/")[1].split("/")[0]
        elif "/src/c360/" in file:
            key = "c360/" + file.split("/src/c360/")[1].split("/")[0]
        elif "/lib/python3" in file:
            key = "stdlib"
        else:
            key = "builtins"
        cpu[key] += tottime
    total = sum(cpu.values())
    for key, seconds in cpu.most_common(10):
        print(f"  {seconds * 1000 / n:7.2f} ms/request {100 * seconds / total:5.1f}%  {key}")


async def main(query: str, n: int, profile_to: Path | None) -> None:
    app = create_served_app()  # as `c360 serve` runs it
    headers = {"Authorization": f"Bearer {teller_token()}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=transport, base_url="http://c360", headers=headers) as client,
    ):
        work = await bodies(client, query, n)
        for body in work[:20]:  # warm the caches (documents, statements, prepared statements)
            r = await client.post("/graphql", json=body)
            assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]
        profiler = cProfile.Profile() if profile_to else None
        wall, cpu = time.perf_counter(), os.times()
        if profiler:
            profiler.enable()
        for body in work:
            await client.post("/graphql", json=body)
        if profiler:
            profiler.disable()
        wall, end = time.perf_counter() - wall, os.times()
    user, system = (end.user - cpu.user) * 1000 / n, (end.system - cpu.system) * 1000 / n
    print(
        f"{query}: {n} requests, {wall * 1000 / n:.2f} ms wall, {user + system:.2f} ms CPU "
        f"(user {user:.2f}, system {system:.2f}) per request"
        + (" under cProfile" if profiler else "")
    )
    if profiler and profile_to:
        profiler.dump_stats(profile_to)
        by_package(pstats.Stats(str(profile_to)), n)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--query",
        default="teller",
        help="a shape of bench/queries (teller, weblist...) or a .graphql file",
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cprofile", type=Path, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.query, args.requests, args.cprofile))
