"""GraphQL over HTTP: GET and POST, what is refused, and the shape of every error body."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from factories import Rows


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    rows = Rows()
    rows.customer(given_name="Maria", family_name="Lopez")
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield api


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


async def test_post_json_runs_a_query(api: Api) -> None:
    response = await api.post("{ customers { totalCount } }")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "data": {"customers": {"totalCount": 1}},
        # the connection and its count: 2, within the default budget (c360.graphql.limits)
        "extensions": {"cost": {"requested": 2, "limit": 100_000}},
    }


async def test_get_runs_a_query_with_variables(api: Api) -> None:
    response = await api.client.get(
        "/graphql",
        params={
            "query": "query($n: Int) { customers(first: $n) { edges { node { displayName } } } }",
            "variables": json.dumps({"n": 1}),
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["customers"]["edges"] == [
        {"node": {"displayName": "Maria Lopez"}}
    ]


async def test_get_refuses_a_mutation(api: Api) -> None:
    response = await api.client.get("/graphql", params={"query": "mutation { anything }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert _codes(response.json()) == ["METHOD_NOT_ALLOWED"]


async def test_post_of_a_mutation_fails_validation_while_there_are_none(api: Api) -> None:
    response = await api.post("mutation { anything }")
    assert response.status_code == 200
    assert _codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_no_graphiql_page(api: Api) -> None:
    # The built-in page would load its scripts from a CDN; until one ships with c360, none.
    response = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert _codes(response.json()) == ["NOT_FOUND"]
    assert "<html" not in response.text.lower()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_refused(api: Api, method: str) -> None:
    response = await api.client.request(method, "/graphql")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert _codes(response.json()) == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("{ customers { totalCount } }", "text/plain"),
        ("{not json", "application/json"),
        ('{"variables": {}}', "application/json"),
        ('[{"query": "{ __typename }"}]', "application/json"),
        ('{"query": 42}', "application/json"),
    ],
)
async def test_unusable_requests_are_400_with_a_code(
    api: Api, content: str, content_type: str
) -> None:
    response = await api.client.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert _codes(response.json()) == ["BAD_REQUEST"]


async def test_a_syntax_error_has_its_code(api: Api) -> None:
    body = (await api.post("{ customers { ")).json()
    assert body["data"] is None
    assert _codes(body) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ customers { noSuchField } }", None),
        ("{ customer { id } }", None),
        ("{ customers(orderBy: {field: SHOE_SIZE}) { totalCount } }", None),
        ("query($n: Int!) { customers(first: $n) { totalCount } }", {"n": "many"}),
        (
            "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }",
            {"f": {"createdAt": {"from": "soon"}}},
        ),
    ],
)
async def test_validation_errors_have_their_code(api: Api, query: str, variables: Any) -> None:
    body = (await api.post(query, variables)).json()
    assert body["data"] is None
    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_an_error_that_ends_the_operation_leaves_no_connection_checked_out(
    api: Api,
) -> None:
    # The bad `first` ends the operation (data: null) while the sibling's read is still
    # queued; that read must not open a connection after the answer went out.
    query = """{ customers(first: -1) { totalCount }
                 other: customer(id: "Q3VzdG9tZXI6MjE") { id } }"""
    for _ in range(3):
        body = (await api.post(query)).json()
        assert body["data"] is None and _codes(body) == ["INVALID_ARGUMENT"]
    await asyncio.sleep(0.05)  # let any queued read run its course
    assert api.engine.pool.checkedout() == 0
