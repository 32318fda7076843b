"""Static limits on a GraphQL operation, checked after validation and before execution.

    depth        the longest chain of nested fields (a root field is depth 1)
    aliases      aliased fields, counted through fragments: a fragment spread three times
                 counts its aliases three times
    root fields  fields at the operation's top level, through fragments as well
    cost         an estimate of the values the operation resolves, against a budget that
                 may differ per token (the model: ``c360.graphql.query_analysis``)

The token limit is applied by the parser itself (``max_tokens``); the schema extension
applying all of them is ``c360.graphql.limits_extension``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from c360.graphql.errors import ApiErrorCode
from c360.graphql.query_analysis import DocumentAnalysis, analyse, clear_analysis_cache
from c360.settings import Settings
from graphql import GraphQLError

__all__ = [
    "DocumentAnalysis",
    "QueryLimits",
    "analyse",
    "check",
    "clear_analysis_cache",
    "cost_error",
    "token_limit_error",
]


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The bounds one operation must stay within; ``cost_budget`` may differ per token."""

    max_depth: int
    max_aliases: int
    max_root_fields: int
    max_tokens: int
    cost_budget: int

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_root_fields=settings.max_root_fields,
            max_tokens=settings.max_query_tokens,
            cost_budget=settings.query_cost_budget,
        )


# --- the checks -------------------------------------------------------------------------


def check(
    analysis: DocumentAnalysis,
    limits: QueryLimits,
    *,
    variables: Mapping[str, Any] | None = None,
    cost_budget: int | None = None,
) -> tuple[int, GraphQLError | None]:
    """The operation's cost, and the error refusing it (None when within every limit).

    ``cost_budget`` overrides ``limits.cost_budget`` (a token's own budget).
    """
    budget = limits.cost_budget if cost_budget is None else cost_budget
    if analysis.depth > limits.max_depth:
        return 0, _limit_error(
            ApiErrorCode.DEPTH_LIMIT_EXCEEDED,
            f"Query depth {analysis.depth} exceeds the maximum depth of {limits.max_depth}.",
            limits.max_depth,
            analysis.depth,
        )
    if analysis.aliases > limits.max_aliases:
        return 0, _limit_error(
            ApiErrorCode.ALIAS_LIMIT_EXCEEDED,
            f"Query has {analysis.aliases} aliases; the maximum is {limits.max_aliases}.",
            limits.max_aliases,
            analysis.aliases,
        )
    if analysis.root_fields > limits.max_root_fields:
        return 0, _limit_error(
            ApiErrorCode.ROOT_FIELD_LIMIT_EXCEEDED,
            f"Query has {analysis.root_fields} root fields; "
            f"the maximum is {limits.max_root_fields}.",
            limits.max_root_fields,
            analysis.root_fields,
        )
    cost = analysis.cost(variables)
    if cost > budget:
        return cost, cost_error(cost, budget)
    return cost, None


def cost_error(requested: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"Query cost {requested} exceeds the cost budget of {limit}.",
        extensions={
            "code": ApiErrorCode.COST_LIMIT_EXCEEDED.value,
            "cost": {"requested": requested, "limit": limit},
        },
    )


def token_limit_error(limit: int, found: int | None) -> GraphQLError:
    counted = f"{found}" if found is not None else f"more than {limit}"
    return _limit_error(
        ApiErrorCode.TOKEN_LIMIT_EXCEEDED,
        f"Document has {counted} tokens; the maximum is {limit}.",
        limit,
        found,
    )


def _limit_error(code: ApiErrorCode, message: str, limit: int, found: int | None) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, "limit": limit, "found": found})
