"""The README's live-updates example, as written, against a real ``c360 serve --demo``:
its ``watch.py`` subscribes, its curl command's mutation earns points, and both print
what the README says they print."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import bearer, readme_token, running_server  # isort: skip

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = "http://127.0.0.1:8000"


def readme_block(marker: str, fence: str = "") -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```{fence}\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no ```{fence} block after <!-- {marker} -->"
    return match.group(1)


def mutation_request() -> tuple[str, dict[str, str], bytes]:
    """The URL, headers and body of the README's curl command."""
    args = shlex.split(readme_block("live-updates-mutation", "sh"))
    assert args[:2] == ["curl", "-s"], args
    headers = dict(args[index + 1].split(": ", 1) for index, arg in enumerate(args) if arg == "-H")
    assert headers.pop("Authorization") == "Bearer $TOKEN"
    return args[2], headers, args[args.index("-d") + 1].encode()


async def read_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(20):
        line = await process.stdout.readline()
    assert line, "watch.py stopped early"
    return line.decode().rstrip("\n")


async def test_the_readme_watch_script_prints_the_readme_events(
    database_factory: Any, tmp_path: Path
) -> None:
    expected_answer = json.loads(readme_block("live-updates-mutation-answer", "json"))
    expected_output = readme_block("live-updates-output").splitlines()
    url, headers, body = mutation_request()
    assert url.startswith(README_URL)
    database_url = await asyncio.to_thread(database_factory.create, migrated=False)

    with running_server("--demo", database_url=database_url) as base_url:
        script = tmp_path / "watch.py"
        ws_base = base_url.replace("http://", "ws://")
        script.write_text(readme_block("live-updates-watch", "python").replace(
            "ws://127.0.0.1:8000", ws_base
        ))  # fmt: skip
        token = await asyncio.to_thread(
            readme_token, database_url, README.read_text(encoding="utf-8")
        )
        headers = {**headers, **bearer(token)}
        watcher = await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "TOKEN": token},  # as `TOKEN=$TOKEN .venv/bin/python watch.py`
        )
        try:
            printed = [await read_line(watcher), await read_line(watcher)]  # ack, SUBSCRIBED
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    url.replace(README_URL, base_url), headers=headers, content=body
                )
            printed.append(await read_line(watcher))
        finally:
            watcher.terminate()
            await watcher.wait()

    assert response.status_code == 200, response.text
    assert response.json() == expected_answer
    assert printed == expected_output
