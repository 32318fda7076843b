"""The README's promises, checked over real HTTP against a real ``c360 serve --demo``.

The README shows a teller query and its answer. This test starts the server the way the
README's first command does (default demo data), sends the README's query as written,
and compares the answer with the one the README prints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import bearer, readme_token, running_server

README = Path(__file__).resolve().parents[1] / "README.md"

# Depend on today's date, not only on the demo data: checked for shape, not value.
CLOCK_DEPENDENT_FIELDS = {"pointsExpiringSoon", "flags"}


def readme_section(marker: str, fence: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```{fence}\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no ```{fence} block after <!-- {marker} -->"
    return match.group(1)


def readme_example_query() -> tuple[str, str]:
    """The URL and the GraphQL query of the README's curl command."""
    command = readme_section("example-query", "sh")
    url = re.search(r"curl -s (\S+)", command)
    query = re.search(r"--data-urlencode 'query=(.*?)'", command, re.DOTALL)
    assert url and query, "the README's example is not a curl --data-urlencode 'query=...' command"
    assert '-H "Authorization: Bearer $TOKEN"' in command
    return url.group(1), query.group(1)


def without_clock_dependent_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: without_clock_dependent_fields(item)
            for key, item in value.items()
            if key not in CLOCK_DEPENDENT_FIELDS
        }
    if isinstance(value, list):
        return [without_clock_dependent_fields(item) for item in value]
    return value


@pytest.mark.slow
def test_the_readme_example_query_returns_the_readme_answer(
    database_factory, tmp_path: Path
) -> None:
    url, query = readme_example_query()
    expected = json.loads(readme_section("example-answer", "json"))
    database_url = database_factory.create(migrated=False)

    # --demo trains a first model in the background into the (here private) model dir.
    env = {"C360_MODEL_DIR": str(tmp_path / "models")}
    with running_server("--demo", database_url=database_url, env=env) as base_url:
        token = readme_token(database_url, README.read_text(encoding="utf-8"))
        readme_url = httpx.URL(url)
        response = httpx.get(
            f"{base_url}{readme_url.path}",
            params={"query": query},
            headers=bearer(token),
            timeout=30,
        )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer["errors"]
    assert without_clock_dependent_fields(answer) == without_clock_dependent_fields(expected)

    customer = answer["data"]["customer"]
    every_section = (
        "contactPoints",
        "holdings",
        "warranties",
        "tickets",
        "consents",
        "attachments",
    )
    assert all(customer[section] for section in every_section)
    assert customer["loyalty"]["pointsBalance"] > 0
    assert customer["interactions"]["totalCount"] > 0
    assert isinstance(customer["loyalty"]["pointsExpiringSoon"], int)
    assert isinstance(customer["summary"]["flags"], list)
