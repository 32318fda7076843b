"""Run ``c360 serve`` as a real process on a free port, for tests over real HTTP."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    *args: str, database_url: str, env: dict[str, str] | None = None, startup_timeout: float = 120
) -> Iterator[str]:
    """Start ``c360 serve ARGS`` and yield its base URL once ``/healthz`` answers 200."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "c360", "serve", "--port", str(port), *args],
        env={**os.environ, "C360_DATABASE_URL": database_url, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, base_url, startup_timeout)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def _wait_until_healthy(process: subprocess.Popen[str], base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"c360 serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"c360 serve did not become healthy within {timeout} s")


def readme_token(
    database_url: str,
    readme_text: str,
    *,
    marker: str = "example-token",
    variable: str = "TOKEN",
) -> str:
    """Run a README token command (``VAR=$(.venv/bin/c360 ... | tail -n 1)`` in the ```sh
    block after ``<!-- marker -->``) as written, against ``database_url``, and return the
    token it prints on its last line."""
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)```", readme_text, re.DOTALL)
    assert match, f"README.md has no ```sh block after <!-- {marker} -->"
    command = re.search(
        rf"{variable}=\$\(\.venv/bin/c360 (.*?) \| tail -n 1\)",
        match.group(1).replace("\\\n", " "),
        re.DOTALL,
    )
    assert command, f"the README's token command is not {variable}=$(.venv/bin/c360 ...)"
    result = subprocess.run(
        [sys.executable, "-m", "c360", *shlex.split(command.group(1))],
        env={**os.environ, "C360_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
