"""Scope checks: which scopes an operation needs, decided before it runs.

The scopes are declared on the schema (``@requiresScope``, see ``permissions.py``): a
field needs its own directive's scope, or else the scope of the type it belongs to.
Before execution, the operation's selections (through fragments, inline fragments and
abstract types) are walked once and every scope they need is collected; if the token
lacks any, the operation is refused as a whole with one ``FORBIDDEN`` error per missing
scope, naming it and the first field that needs it. Nothing is resolved, so nothing
is half-answered and no SQL runs.

The rule is the same on every path (queries, mutations, subscriptions, ``node``): a
selection outside the token's scopes is an error, never a silent null. Personal data
inside granted scopes is *masked* rather than refused (``customer:pii``; see
``c360.customers.masking``).

The walk depends only on the document, so its result is cached per query text and
operation name; per request, the check is a set difference. Introspection
(``__schema``, ``__type``) is refused for principals that may not introspect.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock

from strawberry.extensions import SchemaExtension

from c360.auth.principal import Principal
from c360.auth.scopes import Scope
from c360.graphql.errors import ApiErrorCode
from c360.graphql.permissions import declared_scope
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

__all__ = ["AccessPolicy", "OperationInfo", "Requirements", "operation_requirements"]

_CACHE_SIZE = 512

# Where personal data is (what c360.customers.masking masks), for the access audit's
# "pii" field group.
_PERSONAL_TYPES = frozenset({"ContactPoint", "Attachment"})
_PERSONAL_FIELDS = frozenset(
    ("Customer", name)
    for name in ("displayName", "givenName", "familyName", "birthDate", "nationalIdLast4")
)


@dataclass(frozen=True, slots=True)
class Requirements:
    """What one operation needs: each scope with the first field that needs it."""

    scopes: dict[Scope, str]
    introspection: bool
    # Selects a field that holds personal data (masked without customer:pii).
    personal_data: bool = False

    @property
    def field_groups(self) -> frozenset[str]:
        """The groups of data the operation reads, for the access audit: "holdings"..."""
        return frozenset(
            scope.value.partition(":")[0] for scope in self.scopes if scope.value.endswith(":read")
        )

    def field_groups_for(self, principal: Principal | None) -> frozenset[str]:
        """``field_groups``, with "pii" when ``principal`` reads personal data in clear."""
        if self.personal_data and principal is not None and principal.has(Scope.CUSTOMER_PII):
            return self.field_groups | {"pii"}  # not masked
        return self.field_groups


@dataclass(frozen=True, slots=True)
class OperationInfo:
    """What the access audit records of an operation (``Context.operation``)."""

    name: str | None
    hash: str
    field_groups: frozenset[str]


class _ScopeMap:
    """The declared scopes of a schema: per type, and per (type, field)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.by_type: dict[str, Scope] = {}
        self.by_field: dict[tuple[str, str], Scope] = {}
        for name, graphql_type in schema.type_map.items():
            if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
                continue
            if (scope := _declared(graphql_type.extensions)) is not None:
                self.by_type[name] = scope
            for field_name, field in graphql_type.fields.items():
                if (scope := _declared(field.extensions)) is not None:
                    self.by_field[(name, field_name)] = scope

    def needed(self, type_name: str, field_name: str) -> Scope | None:
        return self.by_field.get((type_name, field_name)) or self.by_type.get(type_name)


def _declared(extensions: dict[str, object] | None) -> Scope | None:
    return declared_scope((extensions or {}).get("strawberry-definition"))


class _Walker:
    def __init__(self, schema: GraphQLSchema, scopes: _ScopeMap, document: DocumentNode) -> None:
        self.schema = schema
        self.scopes = scopes
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.found: dict[Scope, str] = {}
        self.introspection = False
        self.personal_data = False
        # A fragment spread many times under the same type is walked once.
        self.walked: set[tuple[str, str]] = set()

    def walk(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = parent if condition is None else self.schema.get_type(condition.name.value)
                if target is not None:
                    self.walk(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                key = (fragment.name.value, parent.name)
                if target is not None and key not in self.walked:
                    self.walked.add(key)
                    self.walk(fragment.selection_set, target)

    def _field(self, node: FieldNode, parent: GraphQLNamedType) -> None:
        name = node.name.value
        if name in ("__schema", "__type"):
            self.introspection = True
            return
        if name == "__typename" or not isinstance(
            parent, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            return
        field = parent.fields.get(name)
        if field is None:  # validation has refused it already
            return
        if parent.name in _PERSONAL_TYPES or (parent.name, name) in _PERSONAL_FIELDS:
            self.personal_data = True
        scope = self.scopes.needed(parent.name, name)
        if scope is not None:
            self.found.setdefault(scope, f"{parent.name}.{name}")
        if node.selection_set is not None:
            self.walk(node.selection_set, get_named_type(field.type))


class _RequirementsCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[int, str, str | None], Requirements] = OrderedDict()
        self._lock = Lock()
        self._scope_maps: dict[int, _ScopeMap] = {}

    def get(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str | None,
        operation_name: str | None,
    ) -> Requirements:
        if query is None:  # a pre-parsed document: nothing stable to key on
            return self._compute(schema, document, operation_name)
        key = (id(schema), query, operation_name)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        requirements = self._compute(schema, document, operation_name)
        with self._lock:
            self._entries[key] = requirements
            if len(self._entries) > _CACHE_SIZE:
                self._entries.popitem(last=False)
        return requirements

    def _compute(
        self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
    ) -> Requirements:
        scope_map = self._scope_maps.get(id(schema))
        if scope_map is None:
            scope_map = self._scope_maps[id(schema)] = _ScopeMap(schema)
        return operation_requirements(schema, scope_map, document, operation_name)


def operation_requirements(
    schema: GraphQLSchema,
    scope_map: _ScopeMap,
    document: DocumentNode,
    operation_name: str | None,
) -> Requirements:
    walker = _Walker(schema, scope_map, document)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        root = schema.get_root_type(definition.operation)
        if root is not None:
            walker.walk(definition.selection_set, root)
    return Requirements(
        scopes=walker.found,
        introspection=walker.introspection,
        personal_data=walker.personal_data,
    )


_requirements = _RequirementsCache()


def operation_requirements_cached(
    schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None
) -> Requirements:
    """``operation_requirements``, cached under the document's text."""
    return _requirements.get(schema, document, query, operation_name)


class AccessPolicy(SchemaExtension):
    """Refuses, before execution, an operation that needs a scope the caller lacks.

    Runs after validation (it needs a valid document), so it must come after
    ``ValidationCache`` in the schema's extensions; it never mutates the cached list of
    validation errors.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors or context.graphql_document is None:
            yield
            return
        requirements = _requirements.get(
            context.schema._schema,
            context.graphql_document,
            context.query,
            context.operation_name,
        )
        principal = getattr(context.context, "principal", None)
        if hasattr(context.context, "operation"):
            context.context.operation = OperationInfo(
                name=context.operation_name,
                hash=_document_hash(context.query),
                field_groups=requirements.field_groups_for(principal),
            )
        held = frozenset() if principal is None else principal.scopes
        errors = [
            _forbidden(f"This needs the scope {scope} (asked by {field}).", missing=[scope])
            for scope, field in requirements.scopes.items()
            if scope not in held
        ]
        if requirements.introspection and (principal is None or not principal.may_introspect):
            errors.append(_forbidden("Introspection is not available to this token.", missing=[]))
        if errors:
            context.pre_execution_errors = errors
        yield


@lru_cache(maxsize=_CACHE_SIZE)
def _document_hash(query: str | None) -> str:
    return hashlib.sha256((query or "").encode()).hexdigest()


def _forbidden(message: str, *, missing: list[Scope]) -> GraphQLError:
    return GraphQLError(
        message,
        extensions={
            "code": ApiErrorCode.FORBIDDEN.value,
            "missingScopes": [scope.value for scope in missing],
        },
    )
