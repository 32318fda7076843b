"""The query limits as a schema extension: refuse before execution, report the cost after.

- Parsing: the parser stops at ``max_tokens`` tokens; its syntax error becomes
  ``TOKEN_LIMIT_EXCEEDED``, naming the limit and the tokens the document holds.
- Before execution (the document is parsed and valid): depth, aliases, root fields and
  the cost estimate of ``c360.graphql.limits``; over any of them, the operation is refused
  with no resolver run and no SQL sent.
- The response's top-level ``extensions.cost`` is ``{requested, limit}`` whenever the cost
  was estimated, refused or not.

The limits come from ``context.settings``; the cost budget from ``context.cost_budget``
when the context carries one that is not None (a token's own), else from the settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from c360.graphql.limits import QueryLimits, analyse, check, token_limit_error
from c360.settings import get_settings
from graphql import ExecutionResult, GraphQLError, GraphQLSyntaxError, Lexer, Source, TokenKind

__all__ = ["QueryLimitsExtension"]

# Counting the tokens of a refused document stops here: the number is for the message,
# and lexing all of a huge document would hand its sender the CPU the limit saves.
_TOKEN_COUNT_CEILING_FACTOR = 10


class QueryLimitsExtension(SchemaExtension):
    """Applies ``QueryLimits`` to every operation (see the module docstring)."""

    def __init__(self) -> None:
        self._cost: dict[str, int] | None = None
        self._limits: QueryLimits | None = None

    def on_operation(self) -> Iterator[None]:
        limits = self._limits = _limits_for(self.execution_context.context)
        self.execution_context.parse_options["max_tokens"] = limits.max_tokens
        try:
            yield
        except GraphQLSyntaxError as error:
            # ParserCache parses inside its hook, so a syntax error arrives as an exception.
            raise self._token_error(error) or error from None
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._token_error(error) or error for error in result.errors]

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        limits = self._limits or _limits_for(context.context)
        assert context.graphql_document is not None
        analysis = analyse(
            context.schema._schema,
            context.graphql_document,
            operation_name=context.operation_name,
            query=context.query,
        )
        if analysis is not None:
            budget = getattr(context.context, "cost_budget", None)
            cost, error = check(analysis, limits, variables=context.variables, cost_budget=budget)
            if error is None or "cost" in (error.extensions or {}):
                self._cost = {
                    "requested": cost,
                    "limit": limits.cost_budget if budget is None else budget,
                }
            if error is not None:
                # strawberry skips execution when an extension has set the result.
                context.result = ExecutionResult(data=None, errors=[error])
        yield

    def get_results(self) -> dict[str, Any]:
        return {"cost": self._cost} if self._cost is not None else {}

    def _token_error(self, error: GraphQLError) -> GraphQLError | None:
        limits = self._limits
        query = self.execution_context.query
        if (
            limits is None
            or query is None
            or not isinstance(error, GraphQLSyntaxError)
            or f"more than {limits.max_tokens} tokens" not in error.message
        ):
            return None
        return token_limit_error(limits.max_tokens, _count_tokens(query, limits.max_tokens))


def _limits_for(context: object) -> QueryLimits:
    settings = getattr(context, "settings", None) or get_settings()
    return QueryLimits.from_settings(settings)


def _count_tokens(query: str, limit: int) -> int | None:
    """The tokens in ``query`` as the parser counts them (comments too); None past a ceiling."""
    ceiling = limit * _TOKEN_COUNT_CEILING_FACTOR
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind is not TokenKind.EOF:
            count += 1
            if count > ceiling:
                return None
    except GraphQLSyntaxError:
        return None
    # The lexer skips comments, which the parser's limit counts: never report a number
    # at or under the limit the document went over.
    return count if count > limit else None
