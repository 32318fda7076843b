"""Query limits: depth, aliases, tokens, root fields and the cost budget, over HTTP.

The app under test runs with tight limits (``TIGHT``) so that each bound can be met, missed
by one and exceeded by one with short queries; a refused query must run no SQL at all.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import strawberry
from gqltest import ADMIN, Api, as_principal, count_statements, new_database
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.types import ExecutionResult

from c360.audit.recorder import AccessRecorder
from c360.database import create_engine
from c360.graphql.context import Context
from c360.graphql.http import create_graphql_app
from c360.graphql.limits import QueryLimits, analyse, check
from c360.graphql.limits_extension import QueryLimitsExtension
from c360.graphql.schema import schema
from c360.settings import Environment, Settings
from factories import Rows
from graphql import get_introspection_query, parse

ROOT = Path(__file__).resolve().parents[2]

# 1 + n * (edge + node + interactions connection + m * (edge + node + id)) = 1 + n * (3 + 3m)
NESTED = """
query Nested($n: Int, $m: Int) {
  customers(first: $n) { edges { node { interactions(first: $m) { edges { node { id } } } } } }
}
"""
BUDGET = 1 + 10 * (3 + 3 * 5)  # the cost of NESTED with n=10, m=5: 181

TIGHT = {
    "max_query_depth": 7,
    "max_query_aliases": 4,
    "max_root_fields": 3,
    "max_query_tokens": 60,
    "query_cost_budget": BUDGET,
}


@pytest.fixture(scope="module")
async def api(database_factory: Any) -> AsyncIterator[Api]:
    rows = Rows()
    rows.customer(given_name="Maria", family_name="Lopez")
    url = await new_database(database_factory)
    engine = create_engine(url)
    await rows.insert(engine)
    settings = Settings(database_url=url, environment=Environment.TEST, **TIGHT)
    recorder = AccessRecorder(engine)
    app = create_graphql_app(
        engine=engine, settings=settings, recorder=recorder, authenticate=as_principal(ADMIN)
    )
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://c360.test") as client:
            yield Api(client, engine, recorder)
    finally:
        await recorder.close()
        await engine.dispose()


async def refused(api: Api, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error of a query refused before execution, checking that no SQL ran."""
    with count_statements(api.engine) as statements:
        body = await api.result(query, variables)
    assert body["data"] is None, body
    assert len(statements) == 0, statements.statements
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


async def accepted(api: Api, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await api.result(query, variables)
    assert "errors" not in body, body["errors"]
    return body


# --- depth ------------------------------------------------------------------------------

DEPTH_6 = "{ customers(first: 1) { edges { node { loyalty { tier { code } } } } } }"
DEPTH_7 = "{ customers(first: 1) { edges { node { loyalty { ledger { edges { cursor } } } } } } }"
DEPTH_8 = "{ customers { edges { node { loyalty { ledger { edges { node { id } } } } } } } }"
DEPTH_8_IN_FRAGMENTS = """
{ customers { ...Page } }
fragment Page on CustomerConnection { edges { node { ...Points } } }
fragment Points on Customer { loyalty { ledger { edges { node { id } } } } }
"""


async def test_depth_at_and_under_the_limit_runs(api: Api) -> None:
    await accepted(api, DEPTH_6)
    await accepted(api, DEPTH_7)


@pytest.mark.parametrize("query", [DEPTH_8, DEPTH_8_IN_FRAGMENTS], ids=["inline", "fragments"])
async def test_depth_over_the_limit_is_refused(api: Api, query: str) -> None:
    error = await refused(api, query)
    assert error["extensions"] == {"code": "DEPTH_LIMIT_EXCEEDED", "limit": 7, "found": 8}
    assert error["message"] == "Query depth 8 exceeds the maximum depth of 7."


async def test_introspection_adds_no_depth(api: Api) -> None:
    body = await accepted(
        api, '{ __type(name: "Customer") { fields { type { ofType { ofType { name } } } } } }'
    )
    assert body["data"]["__type"]["fields"]


# --- aliases ----------------------------------------------------------------------------

TWO_ALIASES = "fragment Names on Customer { a: id b: displayName }"


async def test_aliases_through_a_fragment_spread_twice_meet_the_limit(api: Api) -> None:
    await accepted(api, "{ customers { edges { node { ...Names } } } } " + TWO_ALIASES)
    await accepted(api, "{ customers { edges { node { ...Names ...Names } } } } " + TWO_ALIASES)


async def test_a_third_spread_of_the_same_fragment_goes_over(api: Api) -> None:
    query = "{ customers { edges { node { ...Names ...Names ...Names } } } } " + TWO_ALIASES
    error = await refused(api, query)
    assert error["extensions"] == {"code": "ALIAS_LIMIT_EXCEEDED", "limit": 4, "found": 6}
    assert error["message"] == "Query has 6 aliases; the maximum is 4."


async def test_aliases_without_fragments_count_too(api: Api) -> None:
    query = "{ customers { edges { node { a: id b: id c: id d: id e: id } } } }"
    error = await refused(api, query)
    assert error["extensions"]["found"] == 5


async def test_an_alias_bomb_of_nested_fragments_is_refused_at_once(api: Api) -> None:
    # Each level spreads the next twice: 2**40 aliases if the fragments were expanded.
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Customer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = (
        "{ customers { edges { node { ...F0 } } } } "
        f"{fragments} fragment F{levels} on Customer {{ x: id }}"
    )
    started = time.perf_counter()
    with count_statements(api.engine) as statements:
        result = await execute(api, query, max_query_tokens=10_000)
    assert time.perf_counter() - started < 2
    assert len(statements) == 0
    assert [error.extensions for error in result.errors or []] == [
        {"code": "ALIAS_LIMIT_EXCEEDED", "limit": 4, "found": 2**levels}
    ]


# --- root fields ------------------------------------------------------------------------

THREE_ROOTS = (
    '{ customers { totalCount } searchCustomers(query: "Maria") { totalCount } __typename }'
)


async def test_root_fields_at_the_limit_run(api: Api) -> None:
    await accepted(api, THREE_ROOTS)
    await accepted(
        api, '{ customers { totalCount } searchCustomers(query: "Maria") { totalCount } }'
    )


async def test_a_fourth_root_field_is_refused(api: Api) -> None:
    error = await refused(api, THREE_ROOTS[:-1] + "nodes(ids: []) { id } }")
    assert error["extensions"] == {"code": "ROOT_FIELD_LIMIT_EXCEEDED", "limit": 3, "found": 4}
    assert error["message"] == "Query has 4 root fields; the maximum is 3."


async def test_root_fields_count_through_fragments(api: Api) -> None:
    query = "{ ...Roots ...Roots } fragment Roots on Query { __typename customers { totalCount } }"
    error = await refused(api, query)
    assert error["extensions"]["found"] == 4


# --- tokens -----------------------------------------------------------------------------


def branches_query(branches: int) -> str:
    """A valid query of 16 + ``branches`` tokens."""
    listed = " ".join(f'"B{i}"' for i in range(branches))
    return f"{{ customers(filter: {{ branch: [{listed}] }}) {{ totalCount }} }}"


async def test_tokens_at_and_under_the_limit_run(api: Api) -> None:
    body = await accepted(api, branches_query(44))  # 60 tokens
    assert body["data"] == {"customers": {"totalCount": 0}}
    await accepted(api, branches_query(43))


async def test_one_token_over_the_limit_is_refused(api: Api) -> None:
    error = await refused(api, branches_query(45))
    assert error["extensions"] == {"code": "TOKEN_LIMIT_EXCEEDED", "limit": 60, "found": 61}
    assert error["message"] == "Document has 61 tokens; the maximum is 60."


def test_the_token_limit_holds_without_a_parser_cache_too() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "world"

    bare = strawberry.Schema(query=Query, extensions=[QueryLimitsExtension])
    context = SimpleNamespace(settings=Settings(environment=Environment.TEST, max_query_tokens=10))
    within = bare.execute_sync(
        "{ hello hello hello hello hello hello hello hello }", context_value=context
    )
    assert within.data == {"hello": "world"}
    over = bare.execute_sync(
        "{ hello hello hello hello hello hello hello hello hello }", context_value=context
    )
    assert [error.extensions for error in over.errors or []] == [
        {"code": "TOKEN_LIMIT_EXCEEDED", "limit": 10, "found": 11}
    ]


# --- cost -------------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "cost"), [(4, 151), (5, BUDGET)])
async def test_the_cost_is_in_the_extensions_when_within_the_budget(
    api: Api, m: int, cost: int
) -> None:
    body = await accepted(api, NESTED, {"n": 10, "m": m})
    assert body["extensions"] == {"cost": {"requested": cost, "limit": BUDGET}}
    assert body["data"]["customers"]["edges"]


async def test_a_cost_over_the_budget_is_refused_before_any_sql(api: Api) -> None:
    error = await refused(api, NESTED, {"n": 10, "m": 6})
    assert error["extensions"] == {
        "code": "COST_LIMIT_EXCEEDED",
        "cost": {"requested": 211, "limit": BUDGET},
    }
    assert error["message"] == f"Query cost 211 exceeds the cost budget of {BUDGET}."
    body = await api.result(NESTED, {"n": 10, "m": 6})
    assert body["extensions"] == {"cost": {"requested": 211, "limit": BUDGET}}


async def test_first_comes_from_literals_variable_defaults_and_schema_defaults(api: Api) -> None:
    literal = (
        "{ customers(first: 10) { edges { node {"
        " interactions(first: 6) { edges { node { id } } } } } } }"
    )
    assert (await refused(api, literal))["extensions"]["cost"]["requested"] == 211
    with_defaults = NESTED.replace("$n: Int", "$n: Int = 10").replace("$m: Int", "$m: Int = 6")
    assert (await refused(api, with_defaults))["extensions"]["cost"]["requested"] == 211
    # No first at all: the page default, 20, at both levels: 1 + 20 * (3 + 3 * 20).
    assert (await refused(api, NESTED))["extensions"]["cost"]["requested"] == 1261


async def test_a_cost_bomb_in_repeated_fragments_is_refused(api: Api) -> None:
    query = """
    { customers(first: 100) { edges { node { ...A ...A } } } }
    fragment A on Customer { interactions(first: 100) { edges { node { ...B ...B } } } }
    fragment B on Interaction { id topic }
    """
    error = await refused(api, query)
    assert error["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    assert error["extensions"]["cost"]["requested"] == 1 + 100 * (2 + 2 * (1 + 100 * (2 + 4)))


async def execute(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    cost_budget: int | None = None,
    **limits: int,
) -> ExecutionResult:
    """``query`` run by the schema itself, with ``TIGHT`` limits but for ``limits``."""
    settings = Settings(
        database_url="sqlite+aiosqlite://", environment=Environment.TEST, **{**TIGHT, **limits}
    )
    principal = dataclasses.replace(ADMIN, cost_budget=cost_budget)
    context = Context.for_request(engine=api.engine, settings=settings, principal=principal)
    try:
        return await schema.execute(query, variables, context_value=context)
    finally:
        await context.db.close()


async def test_a_budget_on_the_context_overrides_the_settings(api: Api) -> None:
    result = await execute(api, NESTED, {"n": 10, "m": 4}, cost_budget=150)
    assert [error.extensions for error in result.errors or []] == [
        {"code": "COST_LIMIT_EXCEEDED", "cost": {"requested": 151, "limit": 150}}
    ]
    assert result.extensions == {"cost": {"requested": 151, "limit": 150}}
    result = await execute(api, NESTED, {"n": 10, "m": 4}, cost_budget=151)
    assert not result.errors
    assert result.extensions == {"cost": {"requested": 151, "limit": 151}}


# --- the defaults fit what the README, the benchmark and the tests ask -----------------


def shipped_queries() -> list[str]:
    queries = [
        path.read_text() for path in sorted((ROOT / "bench" / "queries").glob("*.c360.graphql"))
    ]
    readme = (ROOT / "README.md").read_text()
    start = readme.index("--data-urlencode 'query=") + len("--data-urlencode 'query=")
    queries.append(readme[start : readme.index("}'", start) + 1])
    return queries


def test_the_shipped_queries_fit_the_default_limits() -> None:
    limits = QueryLimits.from_settings(Settings())
    for query in shipped_queries():
        analysis = analyse(schema._schema, parse(query, max_tokens=limits.max_tokens))
        assert analysis is not None
        cost, error = check(analysis, limits)
        assert error is None, (query, error)
        assert cost <= limits.cost_budget // 10, query  # comfortably: a tenth at most


def test_the_standard_introspection_query_fits_the_default_limits() -> None:
    analysis = analyse(schema._schema, parse(get_introspection_query(descriptions=True)))
    assert analysis is not None
    assert check(analysis, QueryLimits.from_settings(Settings())) == (0, None)


def test_a_repeated_document_is_analysed_once() -> None:
    query = shipped_queries()[0]
    first = analyse(schema._schema, parse(query), query=query)
    assert analyse(schema._schema, parse(query), query=query) is first


# --- the estimate never falls when a query asks for more -------------------------------

CUSTOMER_FIELDS = [
    "id",
    "displayName",
    "contactPoints { kind value }",
    "holdings { accountRefMasked balance { amount currency } product { code } }",
    "loyalty { pointsBalance ledger(first: {first}) { totalCount edges { node { points } } } }",
    "warranties { status claims { status } }",
    "interactions(first: {first}) { edges { node { topic } } }",
    "nextBestProducts(first: {first}) { productCode reasons }",
    "summary { openTickets flags }",
]


def customers_query(fields: set[int], firsts: list[int], page: int) -> str:
    selected = " ".join(
        CUSTOMER_FIELDS[i].replace("{first}", str(firsts[i])) for i in sorted(fields)
    )
    return f"{{ customers(first: {page}) {{ edges {{ node {{ __typename {selected} }} }} }} }}"


def estimate(query: str) -> int:
    analysis = analyse(schema._schema, parse(query))
    assert analysis is not None
    return analysis.cost()


@settings(max_examples=200, deadline=None)
@given(
    fields=st.sets(st.integers(0, len(CUSTOMER_FIELDS) - 1)),
    extra=st.integers(0, len(CUSTOMER_FIELDS) - 1),
    firsts=st.lists(
        st.integers(0, 100), min_size=len(CUSTOMER_FIELDS), max_size=len(CUSTOMER_FIELDS)
    ),
    raised=st.integers(0, len(CUSTOMER_FIELDS) - 1),
    by=st.integers(1, 50),
    page=st.integers(0, 100),
)
def test_adding_a_field_or_raising_first_never_lowers_the_cost(
    fields: set[int], extra: int, firsts: list[int], raised: int, by: int, page: int
) -> None:
    cost = estimate(customers_query(fields, firsts, page))
    assert estimate(customers_query(fields | {extra}, firsts, page)) >= cost
    higher = [*firsts]
    higher[raised] += by
    assert estimate(customers_query(fields, higher, page)) >= cost
    assert estimate(customers_query(fields, firsts, page + by)) >= cost
