"""What the query limits need to know about an operation, worked out once per document.

``analyse`` walks the operation's AST (graphql-core, after validation) and returns its
depth, aliases, root fields and a cost expression. Fragments are analysed once and shared,
so a fragment spread many times, or nested spreads that would expand exponentially, cost
one visit each while still counting every spread.

Cost. Every field costs 1 (``__typename`` is free): scalars too, since in this server each
one is a resolver call and several (``totalCount``, ``summary.openTickets``...) run a query
of their own. A field that returns a list multiplies the cost of its items by how many it
may return:

- a field with a ``first`` argument (``nextBestProducts``; a connection's ``edges``): ``first``
  from the literal, else the variable, else the operation's or the schema's default, else
  the page default (20);
- ``nodes(ids)``: the number of ids;
- any other list (a customer's holdings, contact points...): ``UNBOUNDED_LIST_ESTIMATE``.

Nested lists multiply: ``customers(first: 50) { edges { node { holdings { ... } } } }``
costs 50 x 10 x the holding's fields. The estimate is an upper bound: it does not merge
fields that execution would merge, counts both branches of ``@skip``/``@include`` and every
inline fragment of an abstract type. Introspection (``__schema``, ``__type``) costs nothing
and adds no depth: it never reaches the database and its size is the schema's.

Everything but the values of ``first`` given as variables depends on the document alone,
so ``analyse`` caches its result per document text (bounded LRU): a repeated query costs a
dict lookup plus ``DocumentAnalysis.cost(variables)``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from c360.graphql.pagination import DEFAULT_PAGE_SIZE
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

__all__ = [
    "MAX_ANALYSED_DEPTH",
    "UNBOUNDED_LIST_ESTIMATE",
    "DocumentAnalysis",
    "analyse",
    "clear_analysis_cache",
]


# Assumed length of a list without `first`: a customer's own holdings, contact points,
# tickets... are a handful in practice, and a list that can grow is a connection.
UNBOUNDED_LIST_ESTIMATE = 10

# Past this nesting the analysis stops descending (and the depth check refuses the
# document), so no document can exhaust Python's recursion limit here.
MAX_ANALYSED_DEPTH = 200

_ANALYSIS_CACHE_SIZE = 512
_INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class _Count:
    """How many items a list field returns: a literal, or read from a variable."""

    variable: str | None
    default: int
    is_length: bool = False  # the length of a list argument (``nodes(ids)``), not an Int

    def value(self, variables: Mapping[str, Any]) -> int:
        if self.variable is None:
            return self.default
        given = variables.get(self.variable)
        if self.is_length:
            return len(given) if isinstance(given, list) else self.default
        if isinstance(given, int) and not isinstance(given, bool):
            return max(given, 0)
        return self.default


@dataclass(frozen=True, slots=True, eq=False)
class _Cost:
    """``constant`` plus, per term, a count times the cost of one item."""

    constant: int
    terms: tuple[tuple[_Count, _Cost | int], ...]


def _evaluate(cost: _Cost | int, variables: Mapping[str, Any], memo: dict[int, int]) -> int:
    if isinstance(cost, int):
        return cost
    # A fragment spread many times is one shared node: evaluate it once.
    known = memo.get(id(cost))
    if known is not None:
        return known
    total = cost.constant + sum(
        count.value(variables) * _evaluate(item, variables, memo) for count, item in cost.terms
    )
    memo[id(cost)] = total
    return total


@dataclass(frozen=True, slots=True)
class DocumentAnalysis:
    """What the limits need to know about one operation of a document."""

    depth: int
    aliases: int
    root_fields: int
    _cost: _Cost | int

    def cost(self, variables: Mapping[str, Any] | None = None) -> int:
        """The estimated cost with these variables (raw JSON values, as sent)."""
        return _evaluate(self._cost, variables or {}, {})


@dataclass(frozen=True, slots=True)
class _Summary:
    depth: int
    aliases: int
    fields: int
    cost: _Cost | int


def _add(costs: list[_Cost | int]) -> _Cost | int:
    constant = 0
    terms: list[tuple[_Count, _Cost | int]] = []
    for cost in costs:
        if isinstance(cost, int):
            constant += cost
        else:
            constant += cost.constant
            terms.extend(cost.terms)
    return _Cost(constant, tuple(terms)) if terms else constant


def _times(count: _Count, cost: _Cost | int) -> _Cost | int:
    if count.variable is None and isinstance(cost, int):
        return count.default * cost
    return _Cost(0, ((count, cost),))


class _TooDeep(Exception):
    pass


class _Analyser:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self._schema = schema
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._variable_defaults: dict[str, ValueNode] = {}
        self._memo: dict[tuple[str, _Count | None], _Summary] = {}
        self._open: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> DocumentAnalysis:
        self._variable_defaults = {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        root = self._schema.get_root_type(operation.operation)
        if root is None:  # validation refuses this; nothing to execute, nothing to count
            return DocumentAnalysis(depth=0, aliases=0, root_fields=0, _cost=0)
        try:
            summary = self._selections(operation.selection_set, root, None, 0)
        except _TooDeep:
            return DocumentAnalysis(depth=MAX_ANALYSED_DEPTH + 1, aliases=0, root_fields=0, _cost=0)
        return DocumentAnalysis(
            depth=summary.depth,
            aliases=summary.aliases,
            root_fields=summary.fields,
            _cost=summary.cost,
        )

    def _selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        page: _Count | None,
        level: int,
    ) -> _Summary:
        """``page``: the ``first`` of the connection whose fields these are, if any."""
        if level > MAX_ANALYSED_DEPTH:
            raise _TooDeep
        parts: list[_Summary] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                parts.append(self._field(selection, parent, page, level))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self._schema.get_type(condition.name.value) if condition else parent
                parts.append(
                    self._selections(selection.selection_set, scope or parent, page, level)
                )
            elif isinstance(selection, FragmentSpreadNode):
                parts.append(self._spread(selection.name.value, page, level))
        return _Summary(
            depth=max((part.depth for part in parts), default=0),
            aliases=sum(part.aliases for part in parts),
            fields=sum(part.fields for part in parts),
            cost=_add([part.cost for part in parts]),
        )

    def _spread(self, name: str, page: _Count | None, level: int) -> _Summary:
        key = (name, page)
        known = self._memo.get(key)
        if known is not None:
            return known
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:  # unknown or cyclic: validation refuses
            return _Summary(depth=0, aliases=0, fields=0, cost=0)
        scope = self._schema.get_type(fragment.type_condition.name.value)
        if scope is None:
            return _Summary(depth=0, aliases=0, fields=0, cost=0)
        self._open.add(name)
        try:
            summary = self._selections(fragment.selection_set, scope, page, level)
        finally:
            self._open.discard(name)
        self._memo[key] = summary
        return summary

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType, page: _Count | None, level: int
    ) -> _Summary:
        aliases = 1 if node.alias is not None else 0
        name = node.name.value
        definition = _field_definition(self._schema, parent, name)
        if definition is None or node.selection_set is None:
            # A leaf, a list of scalars included: one resolver call. (Or a field that
            # validation refuses, in which case nothing runs.)
            cost = 0 if name == "__typename" else 1
            return _Summary(depth=1, aliases=aliases, fields=1, cost=cost)
        child_type = get_named_type(definition.type)
        child_page = self._page_size(node, definition) if _is_connection(child_type) else None
        children = self._selections(node.selection_set, child_type, child_page, level + 1)
        if name in _INTROSPECTION_FIELDS:
            return _Summary(depth=0, aliases=aliases + children.aliases, fields=1, cost=0)
        item_cost = _add([1, children.cost])
        count = self._list_count(node, definition, page)
        return _Summary(
            depth=1 + children.depth,
            aliases=aliases + children.aliases,
            fields=1,
            cost=_times(count, item_cost) if count else item_cost,
        )

    def _list_count(
        self, node: FieldNode, definition: GraphQLField, page: _Count | None
    ) -> _Count | None:
        """How many items a list field returns; None for a field that is not a list."""
        if not is_list_type(get_nullable_type(definition.type)):
            return None
        if "first" in definition.args:
            return self._page_size(node, definition)
        if node.name.value == "edges" and page is not None:
            return page
        if node.name.value == "nodes" and "ids" in definition.args:
            return self._argument_length(node, "ids")
        return _Count(None, UNBOUNDED_LIST_ESTIMATE)

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> _Count:
        schema_default = (
            definition.args["first"].default_value if "first" in definition.args else None
        )
        fallback = (
            schema_default
            if isinstance(schema_default, int) and not isinstance(schema_default, bool)
            else DEFAULT_PAGE_SIZE
        )
        value = _argument(node, "first")
        if isinstance(value, IntValueNode):
            return _Count(None, max(int(value.value), 0))
        if isinstance(value, VariableNode):
            variable = value.name.value
            default = self._variable_defaults.get(variable)
            if isinstance(default, IntValueNode):
                fallback = max(int(default.value), 0)
            return _Count(variable, fallback)
        return _Count(None, fallback)

    def _argument_length(self, node: FieldNode, argument: str) -> _Count:
        value = _argument(node, argument)
        if isinstance(value, ListValueNode):
            return _Count(None, len(value.values))
        if isinstance(value, VariableNode):
            variable = value.name.value
            default = self._variable_defaults.get(variable)
            fallback = len(default.values) if isinstance(default, ListValueNode) else 1
            return _Count(variable, fallback, is_length=True)
        return _Count(None, 1)  # a single value coerces to a one-item list


def _argument(node: FieldNode, name: str) -> ValueNode | None:
    for argument in node.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _field_definition(
    schema: GraphQLSchema, parent: GraphQLNamedType, name: str
) -> GraphQLField | None:
    if name == "__typename":
        return TypeNameMetaFieldDef
    if name == "__schema" and parent is schema.query_type:
        return SchemaMetaFieldDef
    if name == "__type" and parent is schema.query_type:
        return TypeMetaFieldDef
    fields = getattr(parent, "fields", None)
    return fields.get(name) if fields else None


def _is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and "edges" in named.fields
        and "pageInfo" in (named.fields)
    )


def operation_named(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation ``operation_name`` names, or the only one when it is None."""
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next(
        (op for op in operations if op.name is not None and op.name.value == operation_name),
        None,
    )


_cache: OrderedDict[tuple[int, str, str | None], DocumentAnalysis | None] = OrderedDict()


def analyse(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None = None,
    query: str | None = None,
) -> DocumentAnalysis | None:
    """The analysis of the operation to run; None when the document names no such operation.

    Give ``query`` (the document's text) to cache the result under it.
    """
    if query is None:
        return _analyse(schema, document, operation_name)
    key = (id(schema), query, operation_name)
    try:
        analysis = _cache[key]
    except KeyError:
        analysis = _analyse(schema, document, operation_name)
        _cache[key] = analysis
        if len(_cache) > _ANALYSIS_CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return analysis


def clear_analysis_cache() -> None:
    _cache.clear()


def _analyse(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> DocumentAnalysis | None:
    operation = operation_named(document, operation_name)
    if operation is None:
        return None
    return _Analyser(schema, document).operation(operation)
