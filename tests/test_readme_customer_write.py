"""The README's createCustomer example, sent as written to a real ``c360 serve --demo``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from server import bearer, readme_token, running_server

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_section(marker: str, fence: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```{fence}\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no ```{fence} block after <!-- {marker} -->"
    return match.group(1)


def readme_example_mutation() -> tuple[str, dict[str, object]]:
    """The URL and the JSON body of the README's curl command."""
    command = readme_section("example-mutation", "sh")
    url = re.search(r"curl -s (\S+)", command)
    body = re.search(r"--data '(.*?)'\n", command, re.DOTALL)
    assert url and body, "the README's mutation is not a curl ... --data '{...}' command"
    assert "-H 'Content-Type: application/json'" in command
    assert '-H "Authorization: Bearer $TOKEN"' in command
    return url.group(1), json.loads(body.group(1))


@pytest.mark.slow
def test_the_readme_mutation_returns_the_readme_answer(database_factory) -> None:
    url, body = readme_example_mutation()
    expected = json.loads(readme_section("example-mutation-answer", "json"))
    database_url = database_factory.create(migrated=False)

    with running_server("--demo", database_url=database_url) as base_url:
        headers = bearer(readme_token(database_url, README.read_text(encoding="utf-8")))
        endpoint = f"{base_url}{httpx.URL(url).path}"
        response = httpx.post(endpoint, json=body, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json() == expected

        # What the prose beside it promises: an update at version 1 works once.
        update = (
            'mutation { updateCustomer(input: {id: "Q3VzdG9tZXI6MjAwMQ", version: 1, '
            'familyName: "Wróbel-Nowak"}) { ... on CustomerSuccess { customer { version } } '
            "... on CustomerError { code } } }"
        )
        answers = [
            httpx.post(endpoint, json={"query": update}, headers=headers, timeout=30).json()["data"]
            for _ in range(2)
        ]
        assert answers == [
            {"updateCustomer": {"customer": {"version": 2}}},
            {"updateCustomer": {"code": "VERSION_CONFLICT"}},
        ]
