"""Answering a POSTed query through a cached plan, or handing it back to graphql-core.

``CompiledQueries.answer`` takes the common case, a JSON POST (or a GET) of a valid query that
stays within the caller's scopes and limits, and answers it with the direct executor.
It does exactly the checks the schema's extensions would (the limits and cost budget
of ``limits_extension``, the scopes of ``access``) and records the same operation for
the audit. Everything else, any error included, it leaves to the graphql-core path,
which explains errors the way clients expect; the answer for a request it does take is
the same, byte for byte, as that path's (``tests/graphql/test_compiled_equivalence.py``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
import strawberry
from graphql.execution.values import get_variable_values
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.schema import validate_document

from c360.graphql.access import OperationInfo, Requirements, operation_requirements_cached
from c360.graphql.compiled.execute import Unanswerable, execute_plan
from c360.graphql.compiled.plan import OperationPlan, plan_operation
from c360.graphql.compiled.prefetch import CustomerPrefetch
from c360.graphql.limits import QueryLimits, check
from c360.graphql.query_analysis import DocumentAnalysis, analyse
from c360.settings import Settings
from graphql import GraphQLError, GraphQLSchema, parse, specified_rules

__all__ = ["PLAN_HEADER", "CompiledQueries", "Outcome"]

# On every answer the direct executor gave (for benchmarks and tests; no data in it).
PLAN_HEADER = "X-C360-Plan"
_PLANS = 512  # bounded: unique query texts must not grow memory without end
_BODY_KEYS = frozenset({"query", "variables", "operationName"})


class Outcome(Enum):
    UNTOUCHED = "untouched"  # not taken: the context is as it was
    ABANDONED = "abandoned"  # started, then given up: the context has been used


@dataclass(frozen=True, slots=True)
class _Entry:
    plan: OperationPlan
    analysis: DocumentAnalysis
    requirements: Requirements
    hash: str
    prefetch: CustomerPrefetch


class CompiledQueries:
    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        self._strawberry = schema
        self._schema: GraphQLSchema = schema._schema
        self._limits = QueryLimits.from_settings(settings)
        self._entries: OrderedDict[tuple[str, str | None], _Entry | None] = OrderedDict()

    async def answer(self, request: Request, context: Any) -> Response | Outcome:
        body = await _request_body(request)
        if not isinstance(body, dict) or not body.keys() <= _BODY_KEYS:
            return Outcome.UNTOUCHED
        query, variables = body.get("query"), body.get("variables")
        operation_name = body.get("operationName")
        if (
            not isinstance(query, str)
            or not (variables is None or isinstance(variables, dict))
            or not (operation_name is None or isinstance(operation_name, str))
        ):
            return Outcome.UNTOUCHED
        entry = self._entry(query, operation_name)
        if entry is None:
            return Outcome.UNTOUCHED
        principal = context.principal
        if principal is None or not entry.requirements.scopes.keys() <= principal.scopes:
            return Outcome.UNTOUCHED  # refused with FORBIDDEN by the access policy
        budget = context.cost_budget
        cost, error = check(entry.analysis, self._limits, variables=variables, cost_budget=budget)
        if error is not None:
            return Outcome.UNTOUCHED
        coerced = get_variable_values(
            self._schema, entry.plan.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):  # errors
            return Outcome.UNTOUCHED
        named = entry.plan.operation.name
        context.operation = OperationInfo(
            name=operation_name or (named.value if named else None),  # as strawberry names it
            hash=entry.hash,
            field_groups=entry.requirements.field_groups_for(principal),
        )
        prefetch, db = entry.prefetch, context.db
        db.uncancelled_waits = True  # the direct executor's way; the context is its alone
        pk = prefetch.customer_pk(coerced)
        prefetched = False
        if prefetch.one_statement:
            db.read_in_one_statement()
        if pk is not None:
            prefetched = prefetch.start(context.loaders, pk)
        try:
            data = await execute_plan(
                entry.plan,
                self._schema,
                context,
                coerced,
                scalar_registry=self._strawberry.schema_converter.scalar_registry,
                config=self._strawberry.config,
            )
        except Unanswerable:
            if db.snapshot_needed:  # this customer's view took more
                prefetch.refused()
            return Outcome.ABANDONED
        if pk is not None:
            prefetch.learn(context.loaders, pk, db.statements if prefetched else None)
        else:
            prefetch.learn_statements(db.statements)
        limit = self._limits.cost_budget if budget is None else budget
        payload = {"data": data, "extensions": {"cost": {"requested": cost, "limit": limit}}}
        return Response(
            orjson.dumps(payload),
            media_type="application/json",
            headers={PLAN_HEADER: "compiled"},
        )

    def _entry(self, query: str, operation_name: str | None) -> _Entry | None:
        key = (query, operation_name)
        try:
            entry = self._entries[key]
        except KeyError:
            entry = self._entries[key] = self._build(query, operation_name)
            if len(self._entries) > _PLANS:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def _build(self, query: str, operation_name: str | None) -> _Entry | None:
        try:
            document = parse(query, max_tokens=self._limits.max_tokens)
        except GraphQLError:
            return None
        if validate_document(self._schema, document, tuple(specified_rules)):
            return None
        plan = plan_operation(self._schema, document, operation_name)
        if plan is None:
            return None
        analysis = analyse(self._schema, document, operation_name=operation_name, query=query)
        if analysis is None:
            return None
        requirements = operation_requirements_cached(self._schema, document, query, operation_name)
        if requirements.introspection:
            return None
        return _Entry(
            plan=plan,
            analysis=analysis,
            requirements=requirements,
            hash=hashlib.sha256(query.encode()).hexdigest(),
            prefetch=CustomerPrefetch(plan),
        )


async def _request_body(request: Request) -> Any:
    """The GraphQL request of a JSON POST or a GET, or None for anything else."""
    if request.method == "GET":
        params = request.query_params
        body: dict[str, Any] = dict(params)
        if len(body) != len(params.multi_items()):
            return None  # a repeated parameter: graphql-core's path says what it makes of it
        if "variables" in body:
            try:
                body["variables"] = orjson.loads(body["variables"])
            except orjson.JSONDecodeError:
                return None
        return body
    if request.method != "POST":
        return None
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
