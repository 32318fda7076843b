"""The README's visit-and-ticket mutation, sent as written to a real ``c360 serve --demo``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import bearer, readme_token, running_server

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(marker: str, fence: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```{fence}\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no ```{fence} block after <!-- {marker} -->"
    return match.group(1)


def readme_request() -> tuple[str, dict[str, Any]]:
    """The URL and the JSON body of the README's curl command."""
    command = readme_block("example-visit", "sh")
    url = re.search(r"curl -s (\S+)", command)
    body = re.search(r"-d '(.*?)'\n", command, re.DOTALL)
    assert url and body, "the README's example is not a curl -d '{...}' command"
    assert "Content-Type: application/json" in command
    assert '-H "Authorization: Bearer $TOKEN"' in command
    return url.group(1), json.loads(body.group(1))


@pytest.mark.slow
def test_the_readme_visit_mutation_returns_the_readme_answer(database_factory: Any) -> None:
    url, body = readme_request()
    expected = json.loads(readme_block("example-visit-answer", "json"))
    database_url = database_factory.create(migrated=False)

    with running_server("--demo", database_url=database_url) as base_url:
        headers = bearer(readme_token(database_url, README.read_text(encoding="utf-8")))
        path = httpx.URL(url).path
        response = httpx.post(f"{base_url}{path}", json=body, headers=headers, timeout=30)
        again = httpx.post(f"{base_url}{path}", json=body, headers=headers, timeout=30)

    assert response.status_code == 200, response.text
    assert response.json() == expected
    # As written, it works every time: a second visit and a second ticket.
    assert again.json() == expected
