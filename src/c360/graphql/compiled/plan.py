"""A query document turned, once, into a plan the direct executor can walk.

The plan is what graphql-core would otherwise work out for every field of every
object on every request: the response key, the field's resolver (or the attribute a
plain field reads), whether it may be null, whether it is a list, how a leaf is
serialised, and the plan of the object's own selection. It is built from a valid
document only, and only for what the direct executor handles; ``plan_operation``
returns None for anything else, and the request then takes graphql-core's path:

- operations other than queries;
- introspection (``__schema``, ``__type``); ``__typename`` is fine;
- directives on selections (``@skip``/``@include`` depend on variables);
- fields whose type is an interface or a union (the executor does not resolve types),
  or a list of lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c360.graphql.query_analysis import operation_named
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
)

__all__ = ["FieldPlan", "OperationPlan", "SelectionPlan", "plan_operation"]


@dataclass(slots=True)
class SelectionPlan:
    """The fields to answer for objects of one type, in response order."""

    type_name: str
    keys: tuple[str, ...]
    fields: tuple[FieldPlan, ...]


@dataclass(slots=True)
class FieldPlan:
    key: str  # the response key: the alias, else the field name
    name: str
    node: FieldNode  # the first node of the key, for its arguments
    definition: GraphQLField | None  # None for __typename
    typename: str | None = None  # __typename's answer
    # A plain field reads an attribute; the rest call strawberry's resolver.
    attribute: str | None = None
    resolve: Callable[..., Any] | None = None
    # A resolver strawberry would only wrap (no field extensions, no permission
    # classes): the executor converts its arguments once and calls it directly.
    strawberry_field: Any = None
    has_arguments: bool = False
    # No variable in its arguments: they convert the same on every request, and the
    # executor keeps their converted form here after the first (when immutable).
    arguments_fixed: bool = False
    constant_arguments: dict[str, Any] | None = None
    nullable: bool = True
    is_list: bool = False
    items_nullable: bool = True
    serialize: Callable[[Any], Any] | None = None  # for leaves
    # A leaf whose serialiser returns a value of exactly this type as it is (a String's
    # str, a Boolean's bool): the executor passes such values through without the call.
    passes: type | None = None
    selection: SelectionPlan | None = None  # for objects


@dataclass(slots=True)
class OperationPlan:
    document: DocumentNode
    operation: OperationDefinitionNode
    root: SelectionPlan
    fragments: dict[str, FragmentDefinitionNode] = field(default_factory=dict)


class _Unsupported(Exception):
    pass


def plan_operation(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> OperationPlan | None:
    """The plan of the query ``operation_name`` names in a valid ``document``, or None
    when the direct executor does not handle it."""
    operation = operation_named(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    root_type = schema.query_type
    if root_type is None:
        return None
    try:
        root = _Planner(schema, fragments).selection(root_type, [operation.selection_set])
    except _Unsupported:
        return None
    return OperationPlan(document=document, operation=operation, root=root, fragments=fragments)


class _Planner:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def selection(
        self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> SelectionPlan:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(parent, selection_set, grouped, set())
        fields = tuple(self._field(parent, key, nodes) for key, nodes in grouped.items())
        return SelectionPlan(type_name=parent.name, keys=tuple(grouped), fields=fields)

    def _collect(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise _Unsupported("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, parent):
                    self._collect(parent, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or fragment.directives:
                    raise _Unsupported("fragment")
                if name in visited:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, parent):
                    self._collect(parent, fragment.selection_set, grouped, visited)
            else:  # pragma: no cover - the grammar has no other selection
                raise _Unsupported("selection")

    def _applies(self, type_name: str, parent: GraphQLObjectType) -> bool:
        if type_name == parent.name:
            return True
        condition = self.schema.get_type(type_name)
        if condition is None:
            raise _Unsupported("unknown type")
        if is_abstract_type(condition):
            return self.schema.is_sub_type(condition, parent)  # type: ignore[arg-type]
        return False

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        node = nodes[0]
        name = node.name.value
        if name == "__typename":
            return FieldPlan(key=key, name=name, node=node, definition=None, typename=parent.name)
        if name.startswith("__"):
            raise _Unsupported("introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise _Unsupported("unknown field")
        plan = FieldPlan(key=key, name=name, node=node, definition=definition)
        plan.has_arguments = bool(definition.args)
        plan.arguments_fixed = not any(map(_uses_variables, node.arguments or ()))
        resolve = definition.resolve
        strawberry_field = (definition.extensions or {}).get("strawberry-definition")
        if resolve is None or getattr(resolve, "_is_default", False):
            if strawberry_field is None:
                raise _Unsupported("field without a strawberry definition")
            plan.attribute = strawberry_field.python_name
        else:
            plan.resolve = resolve
            if _callable_directly(strawberry_field):
                plan.strawberry_field = strawberry_field
        output = definition.type
        if isinstance(output, GraphQLNonNull):
            plan.nullable = False
            output = output.of_type
        if isinstance(output, GraphQLList):
            plan.is_list = True
            output = output.of_type
            if isinstance(output, GraphQLNonNull):
                plan.items_nullable = False
                output = output.of_type
            if isinstance(output, GraphQLList):
                raise _Unsupported("list of lists")
        if is_leaf_type(output):
            plan.serialize = _serializer(output)
            plan.passes = _PASSED_AS_IS.get(output)  # type: ignore[call-overload]
            if any(each.selection_set for each in nodes):
                raise _Unsupported("selection on a leaf")
        elif isinstance(output, GraphQLObjectType):
            sets = [each.selection_set for each in nodes if each.selection_set is not None]
            plan.selection = self.selection(output, sets)
        else:
            raise _Unsupported("abstract type")
        return plan


# graphql-core's serialisers of these return a value of this exact type unchanged.
_PASSED_AS_IS: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _serializer(output: Any) -> Callable[[Any], Any]:
    """The leaf type's serialiser; for a strawberry enum, the same answers from a table.

    strawberry's enum serialiser compares the value with every member's (two Python
    property reads each) on every call; a web page serialises some 1,500 enum values.
    """
    serialize: Callable[[Any], Any] = output.serialize
    wrapped = getattr(output, "wrapped_cls", None)
    if not isinstance(output, GraphQLEnumType) or wrapped is None:
        return serialize
    names: dict[int, str] = {}
    for member in wrapped:
        for name, value in output.values.items():
            if member.value == value.value:  # the first such name, as strawberry's loop
                names[id(member)] = name  # members live as long as their class
                break

    def serialize_enum(value: Any) -> Any:
        name = names.get(id(value))
        return serialize(value) if name is None else name

    return serialize_enum


def _uses_variables(node: Node) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, ArgumentNode | ObjectFieldNode):
        return _uses_variables(node.value)
    if isinstance(node, ListValueNode):
        return any(map(_uses_variables, node.values))
    if isinstance(node, ObjectValueNode):
        return any(map(_uses_variables, node.fields))
    return False


def _callable_directly(strawberry_field: Any) -> bool:
    resolver = getattr(strawberry_field, "base_resolver", None)
    return (
        resolver is not None
        and not strawberry_field.extensions
        and resolver.parent_parameter is None
        and resolver.root_parameter is None
    )
