"""The GraphQL schema: every domain's ``Query``, ``Mutation`` and ``Subscription`` merged.

``schema.as_str()`` is committed as ``schema/c360.graphql``; a test fails when the two
differ, so every change to the API shows up in review as an SDL diff.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from c360.graphql.access import AccessPolicy
from c360.graphql.consent_mutations import ConsentMutation
from c360.graphql.customer_mutations import CustomerMutation
from c360.graphql.customer_queries import CustomerQuery
from c360.graphql.errors import ErrorPolicy
from c360.graphql.interactions_mutations import InteractionMutation
from c360.graphql.limits_extension import QueryLimitsExtension
from c360.graphql.loyalty_mutations import LoyaltyMutation
from c360.graphql.node import NODE_TYPES, NodeQuery
from c360.graphql.recommend_mutations import RecommendMutation
from c360.graphql.subscriptions import CustomerSubscription
from c360.graphql.warranty_mutations import WarrantyMutation
from c360.graphql.websocket import SocketOperations
from graphql import GraphQLError

__all__ = ["schema"]

# Bounded: a public endpoint must not let unique query texts grow memory without end.
_DOCUMENT_CACHE_SIZE = 512

Query = merge_types("Query", (CustomerQuery, NodeQuery))
Mutation = merge_types(
    "Mutation",
    (
        CustomerMutation,
        LoyaltyMutation,
        InteractionMutation,
        WarrantyMutation,
        ConsentMutation,
        RecommendMutation,
    ),
)
Subscription = merge_types("Subscription", (CustomerSubscription,))


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorPolicy logs what is unexpected (with a correlation id); logging every
        # validation error of every client here as well would drown that out.
        pass


def _extensions() -> list[Any]:
    return [
        ErrorPolicy,
        QueryLimitsExtension,
        SocketOperations,
        lambda: ParserCache(maxsize=_DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=_DOCUMENT_CACHE_SIZE),
        AccessPolicy,  # after validation: it walks a valid document
    ]


schema: strawberry.Schema = _Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=NODE_TYPES,
    extensions=_extensions(),
)
