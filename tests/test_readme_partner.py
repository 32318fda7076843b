"""The README's partner example, as written, against a real ``c360 serve --demo``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import bearer, readme_token, running_server

README = Path(__file__).resolve().parents[1] / "README.md"
HOLDINGS = "{ customers(first: 2) { edges { node { holdings { balance { amount } } } } } }"


def block(marker: str, fence: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```{fence}\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no ```{fence} block after <!-- {marker} -->"
    return match.group(1)


@pytest.mark.slow
def test_the_readme_partner_query_returns_the_readme_answer(database_factory: Any) -> None:
    command = block("example-partner-query", "sh")
    assert '-H "Authorization: Bearer $PARTNER_TOKEN"' in command
    query = re.search(r"--data-urlencode 'query=(.*?)'", command, re.DOTALL)
    assert query
    expected = json.loads(block("example-partner-answer", "json"))
    database_url = database_factory.create(migrated=False)
    with running_server("--demo", database_url=database_url) as base_url:
        headers = bearer(
            readme_token(
                database_url,
                README.read_text(encoding="utf-8"),
                marker="example-partner-token",
                variable="PARTNER_TOKEN",
            )
        )
        answer = httpx.get(
            f"{base_url}/graphql", params={"query": query.group(1)}, headers=headers, timeout=30
        ).json()
        forbidden = httpx.get(
            f"{base_url}/graphql",
            params={"query": HOLDINGS},
            headers=headers,
            timeout=30,
        ).json()
    assert answer == expected
    assert forbidden == {
        "data": None,
        "errors": [
            {
                "message": "This needs the scope holdings:read (asked by Customer.holdings).",
                "extensions": {"code": "FORBIDDEN", "missingScopes": ["holdings:read"]},
            }
        ],
    }
