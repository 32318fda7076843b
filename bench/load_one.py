"""c360 alone under wrk, with its CPU per request and optionally a py-spy profile.

For profiling between full `bench/run`s (figures in bench/README.md's "Where the time
goes" come from it). Against a database that already holds demo data:

    C360_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/c360_prof \
        .venv/bin/c360 demo-data --customers 10000
    .venv/bin/python bench/load_one.py --database-url postgresql+asyncpg://... \
        --query teller --workers 1 -c 8 --seconds 10 [--spy out.txt] [--env NAME=VALUE]

It makes a teller token (for `--query partner`, a token of the partner with the most
sharing customers, as bench/run picks it), starts `c360 serve`, warms up (--warmup, 35 s by
default: a served worker freezes its filled caches out of the garbage collector's way 30 s
after it starts, and before that every full collection walks them), drives
the bench's query shape (bench/queries/<query>.c360.graphql; random customers for the
teller, random cursors for the web and partner lists, random current phone numbers for
the phone search) with wrk for --seconds, and prints one JSON line: rps, p50 and
p99 in ms, the server's CPU (user + system, and system alone) per request, and the CPU
per request of the PostgreSQL backends serving this database (the pool's connections, found
in pg_stat_activity: other databases' load on a shared machine does not count). With
--spy FILE it records py-spy (`--format raw` for a .txt name; SPY_NATIVE=1 adds C
frames; `pip install py-spy` first). LOAD_VENV picks another virtualenv for the server.
"""

import argparse
import base64
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument("--query", default="teller")
ap.add_argument("--workers", type=int, default=1)
ap.add_argument("-c", type=int, default=8)
ap.add_argument("--seconds", type=int, default=10)
ap.add_argument("--warmup", type=int, default=35, help="seconds of load before measuring")
ap.add_argument("--spy")
ap.add_argument("--database-url", required=True)
ap.add_argument("--repo", default=str(REPO))
ap.add_argument("--env", action="append", default=[])
a = ap.parse_args()
venv = Path(os.environ.get("LOAD_VENV", str(Path(a.repo) / ".venv"))) / "bin"
env = {**os.environ, "C360_DATABASE_URL": a.database_url, "C360_RATE_LIMIT_REQUESTS": "0"}
for kv in a.env:
    k, v = kv.split("=", 1)
    env[k] = v


def _pg(sql: str) -> list[tuple[str, ...]]:
    """Rows of ``sql`` on the served database, through psql (the bench's own client)."""
    dsn = a.database_url.replace("+asyncpg", "")
    out = subprocess.run(["psql", dsn, "-AtF", "\t", "-c", sql], capture_output=True, text=True)
    return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]


role = ["--role", "teller"]
if a.query == "partner":
    sys.path.insert(0, str(REPO / "bench"))
    from run import _PARTNER_SHARES

    role = ["--role", "partner", "--partner", _pg(_PARTNER_SHARES)[0][0]]
tok = (
    subprocess.run(
        [str(venv / "c360"), "token", "create", "--name", "load", *role],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    .stdout.strip()
    .splitlines()[-1]
)


def gid(pk):
    return base64.urlsafe_b64encode(f"Customer:{pk}".encode()).rstrip(b"=").decode()


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
log = open("/tmp/load_server.log", "w")  # noqa: SIM115 - open while the server runs
p = subprocess.Popen(
    [str(venv / "c360"), "serve", "--port", str(port), "--workers", str(a.workers)],
    env=env,
    stdout=log,
    stderr=log,
    start_new_session=True,
    cwd=a.repo,
)

for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
        break
    except Exception:
        time.sleep(0.2)
# A shape of bench/queries, or a file of one's own (a query with $id is asked of random
# customers, one with $after of random pages).
shape = (
    Path(a.query)
    if a.query.endswith(".graphql")
    else REPO / f"bench/queries/{a.query}.c360.graphql"
)
q = shape.read_text()
rnd = random.Random(1)

r = httpx.post(
    f"http://127.0.0.1:{port}/graphql",
    json={"query": "{customers(first:1){edges{cursor node{id}}}}"},
    headers={"Authorization": "Bearer " + tok},
).json()
edge = r["data"]["customers"]["edges"][0]
raw0 = json.loads(base64.urlsafe_b64decode(edge["cursor"] + "=" * (-len(edge["cursor"]) % 4)))
first = int(base64.urlsafe_b64decode(edge["node"]["id"] + "==").decode().split(":")[1])


def cur(pk):
    raw = [pk if v == first else v for v in raw0]
    return (
        base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode())
        .rstrip(b"=")
        .decode()
    )


lines = []
phones = []
if a.query == "phone":
    phones = [
        row[0]
        for row in _pg(
            "SELECT value FROM contact_point WHERE kind = 'phone' AND valid_to IS NULL ORDER BY id"
        )
    ]
for _ in range(2000):
    pk = rnd.randint(1, 9900)
    if a.query == "phone":
        lines.append(json.dumps({"query": q, "variables": {"q": rnd.choice(phones)}}))
    elif "$id" in q:  # the teller's shape: one customer by id
        lines.append(json.dumps({"query": q, "variables": {"id": gid(pk)}}))
    else:
        lines.append(json.dumps({"query": q, "variables": {"after": cur(pk)}}))
Path("/tmp/load_bodies.jsonl").write_text("\n".join(lines) + "\n")


def wrk(sec):
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(a.c, 2)),
            "-c",
            str(a.c),
            "-d",
            f"{sec}s",
            "--latency",
            "-s",
            str(REPO / "bench/lua/bodies.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            "/tmp/load_bodies.jsonl",
            "/graphql",
            tok,
        ],
        capture_output=True,
        text=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRKJSON "))
    return json.loads(line[8:])


def _db_backends() -> list[psutil.Process]:
    """The PostgreSQL backends connected to the served database (the server's pool)."""
    rows = _pg(
        "SELECT pid FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return [psutil.Process(int(pid)) for (pid,) in rows]


def _cpu_s(processes: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds by pid of those of ``processes`` still running."""
    seconds = {}
    for x in processes:
        with contextlib.suppress(psutil.NoSuchProcess):  # a pooled connection closed meanwhile
            seconds[x.pid] = sum(x.cpu_times()[:2])
    return seconds


wrk(a.warmup)
procs = [psutil.Process(p.pid)] + psutil.Process(p.pid).children(recursive=True)
cpu0 = sum(sum(x.cpu_times()[:2]) for x in procs)
backends = _db_backends()
db0 = _cpu_s(backends)
sys0 = sum(x.cpu_times()[1] for x in procs)
spy = None
if a.spy:
    target = procs[-1].pid
    spy = subprocess.Popen(
        [
            str(venv / "py-spy"),
            "record",
            "-p",
            str(target),
            "-d",
            str(a.seconds),
            "-o",
            a.spy,
            "-f",
            "raw" if a.spy.endswith(".txt") else "flamegraph",
            "-r",
            "200",
        ]
        + (["--native"] if os.environ.get("SPY_NATIVE") else []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
w = wrk(a.seconds)
cpu = sum(sum(x.cpu_times()[:2]) for x in procs) - cpu0
sysc = sum(x.cpu_times()[1] for x in procs) - sys0
db = sum(used - db0[pid] for pid, used in _cpu_s(backends).items() if pid in db0)
if spy:
    spy.wait()
n = w["requests"]
per = [round(sum(x.cpu_times()[:2]), 1) for x in procs]
print("per-process cpu", per)
print(
    json.dumps(
        {
            "query": a.query,
            "workers": a.workers,
            "c": a.c,
            "rps": round(n / (w["duration_us"] / 1e6), 1),
            "p50_ms": w["p50_us"] / 1000,
            "p99_ms": w["p99_us"] / 1000,
            "errors": w.get("errors"),
            "cpu_ms_per_req": round(cpu * 1000 / n, 2),
            "sys_ms_per_req": round(sysc * 1000 / n, 2),
            "db_cpu_ms_per_req": round(db * 1000 / n, 2),
        }
    )
)
os.killpg(p.pid, signal.SIGTERM)
p.wait(10)
