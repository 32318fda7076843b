"""Unexpected errors are masked: a generic message, code INTERNAL, and a correlation id
that leads to the stack trace in the log, never to the client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from gqltest import Api, new_database, serve

from c360.graphql.context import Context
from c360.graphql.loaders.customers import AttachmentsByCustomerIdLoader
from factories import Rows

SECRET = "password=hunter2 at db.internal:5432"


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    rows = Rows()
    customer = rows.customer(given_name="Maria", family_name="Lopez")
    rows.attachment(customer)
    url = await new_database(database_factory)
    async with serve(url) as api:
        await rows.insert(api.engine)
        yield api


async def _failing_fetch(_conn: Any, _ids: Sequence[int]) -> Any:
    raise RuntimeError(f"connection lost: {SECRET}")


async def test_an_exception_in_a_resolver_is_masked(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(AttachmentsByCustomerIdLoader, "fetch", staticmethod(_failing_fetch))
    with caplog.at_level(logging.ERROR, logger="c360.graphql"):
        response = await api.post(
            "{ customers { edges { node { displayName attachments { fileName } } } } }"
        )

    assert response.status_code == 200
    assert SECRET not in response.text and "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    body = response.json()
    [error] = body["errors"]
    assert error["message"] == "Internal server error."
    assert error["path"] == ["customers", "edges", 0, "node", "attachments"]
    assert error["extensions"]["code"] == "INTERNAL"
    correlation_id = error["extensions"]["correlationId"]

    [record] = [r for r in caplog.records if correlation_id in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert SECRET in str(record.exc_info[1])


async def test_the_rest_of_the_response_survives_a_masked_error(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AttachmentsByCustomerIdLoader, "fetch", staticmethod(_failing_fetch))
    body = (
        await api.post(
            """{ ok: customers { totalCount }
                 broken: customers { edges { node { displayName attachments { fileName } } } } }"""
        )
    ).json()
    # Relations are nullable: the failing section is null, the rest of the view is there.
    assert body["data"] == {
        "ok": {"totalCount": 1},
        "broken": {"edges": [{"node": {"displayName": "Maria Lopez", "attachments": None}}]},
    }
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INTERNAL"]


async def test_an_exception_outside_any_resolver_is_masked_too(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Context:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(Context, "for_request", broken)
    with caplog.at_level(logging.ERROR, logger="c360.graphql"):
        response = await api.post("{ customers { totalCount } }")

    assert response.status_code == 500
    assert SECRET not in response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert any(error["extensions"]["correlationId"] in r.getMessage() for r in caplog.records)


async def test_expected_errors_keep_their_message_and_are_not_logged_as_failures(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="c360.graphql"):
        errors = await api.errors("{ customers(first: 500) { totalCount } }")
    assert errors[0]["message"] == "first must be between 0 and 100, got 500"
    assert errors[0]["extensions"] == {"code": "INVALID_ARGUMENT"}
    assert not caplog.records


async def test_null_for_an_argument_with_a_default_is_invalid_not_internal(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # `first: Int! = 3` accepts a nullable variable (the default covers its absence), but
    # not an explicit null: the client's mistake, said as such, and nothing logged.
    query = """query($n: Int) { customers(first: 1) { edges { node {
        nextBestProducts(first: $n) { productCode } } } } }"""
    with caplog.at_level(logging.ERROR, logger="c360.graphql"):
        body = (await api.post(query, {"n": None})).json()
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_ARGUMENT"}
    assert error["message"].startswith("Argument 'first' has invalid value")
    assert error["path"] == ["customers", "edges", 0, "node", "nextBestProducts"]
    assert not caplog.records


async def test_an_error_that_nulls_a_customer_spares_a_section_shared_with_another_branch(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # The bad cursor nulls `one` (accessLog is non-null), and graphql-core cancels the
    # customer's other fields. Their attachments key is the one the list below asks for:
    # that branch must still get its attachments, not a cancelled request.
    [edge] = (await api.data("{ customers { edges { node { id } } } }"))["customers"]["edges"]
    query = """query($id: ID!) {
        one: customer(id: $id) {
            attachments { fileName }
            accessLog(after: "not-a-cursor") { totalCount } }
        list: customers { edges { node { attachments { fileName } } } } }"""
    with caplog.at_level(logging.ERROR):
        body = (await api.post(query, {"id": edge["node"]["id"]})).json()
    assert body["data"] == {
        "one": None,
        "list": {"edges": [{"node": {"attachments": [{"fileName": "document-1.pdf"}]}}]},
    }
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_CURSOR"]
    assert not caplog.records
