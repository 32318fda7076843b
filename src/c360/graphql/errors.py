"""What a client sees of an error: a message and a stable ``extensions.code``.

    GRAPHQL_PARSE_FAILED       the query is not GraphQL
    GRAPHQL_VALIDATION_FAILED  the query or its variables do not fit the schema
    INVALID_ARGUMENT           an argument is out of range or ill-formed (e.g. ``first``)
    INVALID_ID                 not a global id, or the id of another type
    INVALID_CURSOR             not a cursor handed out by this list
    BAD_REQUEST                the HTTP request carries no usable GraphQL request
    METHOD_NOT_ALLOWED         e.g. a mutation over GET
    NOT_FOUND                  nothing served at this URL and method (e.g. GET without a query)
    UNAUTHENTICATED            no token, or one that is unknown, expired or revoked (HTTP 401)
    FORBIDDEN                  the operation needs a scope the token lacks (named in
                               ``extensions.missingScopes``), or introspection is off for it
    DEPTH_LIMIT_EXCEEDED       fields nested deeper than the limit (c360.graphql.limits)
    ALIAS_LIMIT_EXCEEDED       more aliases than the limit, counted through fragments
    TOKEN_LIMIT_EXCEEDED       a document longer than the limit, in lexical tokens
    ROOT_FIELD_LIMIT_EXCEEDED  more top-level fields than the limit
    COST_LIMIT_EXCEEDED        an estimated cost over the token's budget (``extensions.cost``)
    RATE_LIMITED               too many requests for this token (HTTP 429, ``Retry-After``)
    INTERNAL                   anything unexpected

Expected errors are ``c360.errors.C360Error``s; their code maps here once, exhaustively.
Anything else raised while resolving is masked: the client gets a generic message, code
INTERNAL and a correlation id; the log gets the same id with the stack trace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, assert_never

from strawberry.extensions import SchemaExtension

from c360.errors import C360Error, ErrorCode
from graphql import GraphQLError, GraphQLSyntaxError

__all__ = ["ApiErrorCode", "ErrorPolicy", "api_code", "present_error", "request_error"]

logger = logging.getLogger("c360.graphql")

INTERNAL_MESSAGE = "Internal server error."


class ApiErrorCode(StrEnum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    BAD_REQUEST = "BAD_REQUEST"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    DEPTH_LIMIT_EXCEEDED = "DEPTH_LIMIT_EXCEEDED"
    ALIAS_LIMIT_EXCEEDED = "ALIAS_LIMIT_EXCEEDED"
    TOKEN_LIMIT_EXCEEDED = "TOKEN_LIMIT_EXCEEDED"
    ROOT_FIELD_LIMIT_EXCEEDED = "ROOT_FIELD_LIMIT_EXCEEDED"
    COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"


def api_code(code: ErrorCode) -> ApiErrorCode:
    match code:
        case ErrorCode.INVALID_ARGUMENT:
            return ApiErrorCode.INVALID_ARGUMENT
        case ErrorCode.INVALID_ID:
            return ApiErrorCode.INVALID_ID
        case ErrorCode.INVALID_CURSOR:
            return ApiErrorCode.INVALID_CURSOR
        case _:
            assert_never(code)


def present_error(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it, with a code. Idempotent."""
    if error.extensions and "code" in error.extensions:
        return error
    original = error.original_error
    if isinstance(original, C360Error):
        return _with_code(error, original.message, api_code(original.code))
    if isinstance(error, GraphQLSyntaxError):
        return _with_code(error, error.message, ApiErrorCode.GRAPHQL_PARSE_FAILED)
    if error.path is None and (original is None or _is_input_error(original)):
        # Raised before execution: validation, or coercing the variables to their types.
        return _with_code(error, error.message, ApiErrorCode.GRAPHQL_VALIDATION_FAILED)
    if isinstance(original, GraphQLError) and original.original_error is None:
        # graphql-core's own refusal at a field, with nothing underneath: coercing the
        # field's arguments failed (null from a nullable variable for `Int! = 3`, say).
        # c360's resolvers raise C360Error, and anything unexpected is not a GraphQLError.
        return _with_code(error, error.message, ApiErrorCode.INVALID_ARGUMENT)
    return _masked(error)


def request_error(message: str, code: ApiErrorCode) -> dict[str, object]:
    """A formatted error for a response that never reached GraphQL execution."""
    return {"message": message, "extensions": {"code": code.value}}


def _is_input_error(original: Exception) -> bool:
    # A scalar's parse_value refusing a variable, e.g. a malformed DateTime.
    return isinstance(original, (ValueError, TypeError, GraphQLError))


def _with_code(error: GraphQLError, message: str, code: ApiErrorCode) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code.value},
    )


def _masked(error: GraphQLError) -> GraphQLError:
    correlation_id = uuid.uuid4().hex
    original = error.original_error or error
    logger.error(
        "unexpected error %s at %s: %s",
        correlation_id,
        ".".join(map(str, error.path or [])) or "-",
        error.message,
        exc_info=(type(original), original, original.__traceback__),
    )
    return GraphQLError(
        INTERNAL_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ApiErrorCode.INTERNAL.value, "correlationId": correlation_id},
    )


class ErrorPolicy(SchemaExtension):
    """Gives every error of an operation its code, masking the unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [present_error(error) for error in errors]  # type: ignore[union-attr]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Each message of a subscription, before it is sent.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [present_error(error) for error in errors]
        yield
