"""Random read queries rooted at ``customer(id:)`` and ``customers(first:, after:)``.

Used by tests/graphql/test_compiled_equivalence.py to compare the compiled query path
with graphql-core's. Built from the schema itself: any field of ``Customer`` and of every
object type below it, with random aliases (fresh names, and now and then the name of
another field of the same type), repeated fields with different arguments, named and
inline fragments, ``__typename``, ``@include``/``@skip``, and arguments drawn both valid
and invalid (``first: -1``, ``first: 100000``, a cursor of another list, a bad id...).
Root arguments, and now and then a nested ``first``, are passed as variables so that
one document runs with several values (a compiled plan is cached per document).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import strategies as st

from c360.graphql.schema import schema
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    is_leaf_type,
)

GRAPHQL_SCHEMA = schema._schema
MAX_DEPTH = 4
GARBAGE_CURSOR = "bm90LWEtY3Vyc29y"  # base64 of "not-a-cursor"
OMITTED = object()  # a variable left out of the request, so its default applies
T = TypeVar("T")


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in ``n`` draws (``st.integers`` leans to its bounds, so not that)."""
    return st.sampled_from([False] * (n - 1) + [True])


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """One of the strategies, each as often as its weight says."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(lambda s: s)


# Page sizes: mostly valid, sometimes out of range (the API answers INVALID_ARGUMENT).
PAGE_SIZES = weighted(
    (8, st.sampled_from([0, 1, 2, 3, 5, 20, 100])), (1, st.sampled_from([-1, 101, 100_000]))
)


@dataclass(frozen=True)
class Pools:
    """Values from the database under test that arguments are drawn from."""

    customer_ids: tuple[str, ...]  # existing
    bad_customer_ids: tuple[str, ...]  # missing, malformed, of another type
    # connection type name -> cursors of real items of that list
    cursors: dict[str, tuple[str, ...]]
    tier_codes: tuple[str, ...]
    product_codes: tuple[str, ...]
    branches: tuple[str, ...]

    def any_customer_id(self) -> st.SearchStrategy[str]:
        return weighted(
            (5, st.sampled_from(self.customer_ids)), (1, st.sampled_from(self.bad_customer_ids))
        )


@dataclass
class Document:
    """A query document and the variable values to run it with."""

    text: str
    variable_sets: list[dict[str, Any]] = field(default_factory=list)
    operation_name: str | None = None  # set when the document holds more than one


# response key -> (the field and arguments it answers, the keys of its own selection)
_Keys = dict[str, tuple[str, "_Keys"]]


@dataclass
class _Builder:
    draw: st.DrawFn
    pools: Pools
    # Whether fields may carry @include/@skip: in some documents only, so that most
    # are free of them (a compiled path may leave such documents to graphql-core).
    directives: bool = False
    aliases: int = 0
    fragments: list[str] = field(default_factory=list)
    # variable name -> (GraphQL type, strategy of its values)
    variables: dict[str, tuple[str, st.SearchStrategy[Any]]] = field(default_factory=dict)

    def alias(self) -> str:
        self.aliases += 1
        return f"a{self.aliases}"

    def variable(self, type_text: str, values: st.SearchStrategy[Any]) -> str:
        """A new variable; ``values`` may draw ``OMITTED`` when ``type_text`` has a default."""
        name = f"v{len(self.variables)}"
        self.variables[name] = (type_text, values)
        return f"${name}"

    def page_size(self) -> str:
        """``first``'s value: a literal, or a variable (null, left to its default...)."""
        match self.draw(st.sampled_from(["literal"] * 4 + ["variable", "default"])):
            case "variable":
                return self.variable("Int", weighted((5, PAGE_SIZES), (1, st.none())))
            case "default":
                values = weighted((2, PAGE_SIZES), (1, st.just(OMITTED)))
                return self.variable(f"Int = {self.draw(PAGE_SIZES)}", values)
            case _:
                return str(self.draw(PAGE_SIZES))


def _literal(value: Any, enum: bool = False) -> str:
    """``value`` written as a GraphQL literal (enum values bare)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item, enum) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return value if enum else '"' + str(value).replace('"', '\\"') + '"'


def _enum_values(graphql_type: Any) -> list[str]:
    named = get_named_type(graphql_type)
    assert isinstance(named, GraphQLEnumType)
    return sorted(named.values)


def _cursors(b: _Builder, connection: str) -> st.SearchStrategy[str]:
    own = b.pools.cursors.get(connection, ())
    others = sorted(c for name, cs in b.pools.cursors.items() if name != connection for c in cs)
    choices: list[tuple[int, st.SearchStrategy[str]]] = [(1, st.just(GARBAGE_CURSOR))]
    if own:
        # The last cursor too: a page after the end is empty.
        choices += [(8, st.sampled_from(own)), (2, st.just(own[-1]))]
    if others:
        choices.append((1, st.sampled_from(others)))  # of another list: INVALID_CURSOR
    return weighted(*choices)


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


def _argument(b: _Builder, graphql_field: GraphQLField, name: str, arg_type: Any) -> str | None:
    """A random ``name: value`` for one argument of a field, or None to leave it out."""
    draw = b.draw
    if not isinstance(arg_type, GraphQLNonNull) and draw(one_in(3)):
        return None  # left out: its default applies
    named = get_named_type(arg_type)
    if name == "first":
        return f"first: {b.page_size()}"
    if name == "after":
        connection = get_named_type(graphql_field.type).name
        if not b.pools.cursors.get(connection) and not draw(one_in(6)):
            return None  # no real cursor of this list to draw: mostly leave it out
        return f"after: {_literal(draw(_cursors(b, connection)))}"
    if isinstance(named, GraphQLEnumType):
        values = _enum_values(named)
        if _is_list(arg_type):
            chosen = draw(st.lists(st.sampled_from(values), max_size=3, unique=True))
            return f"{name}: {_literal(chosen, enum=True)}"
        return f"{name}: {_literal(draw(st.sampled_from([*values, None])), enum=True)}"
    return None


def _fields(graphql_type: GraphQLObjectType) -> list[str]:
    return sorted(graphql_type.fields)


def _selection(
    b: _Builder, graphql_type: GraphQLObjectType, depth: int, keys: _Keys | None = None
) -> str:
    """A selection set on ``graphql_type``; ``keys``: what is already selected in it."""
    draw = b.draw
    keys = {} if keys is None else keys
    names = _fields(graphql_type)
    if depth >= MAX_DEPTH:
        names = [n for n in names if is_leaf_type(get_named_type(graphql_type.fields[n].type))]
    parts: list[str] = []
    if draw(one_in(4)):
        parts.append("__typename" if draw(st.booleans()) else f"{b.alias()}: __typename")
    # Not unique: a field may come twice, under another alias and with other arguments.
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=6)):
        parts.append(_field(b, graphql_type, name, depth, keys))
    if depth <= 2 and draw(one_in(4)):
        parts.append(_fragment(b, graphql_type, depth, keys))
    if draw(one_in(5)):
        parts = list(draw(st.permutations(parts)))
    return " ".join(parts)


def _field(b: _Builder, graphql_type: GraphQLObjectType, name: str, depth: int, keys: _Keys) -> str:
    draw = b.draw
    graphql_field = graphql_type.fields[name]
    arguments = [
        a
        for arg_name, arg in sorted(graphql_field.args.items())
        if (a := _argument(b, graphql_field, arg_name, arg.type)) is not None
    ]
    match draw(st.sampled_from(["own"] * 6 + ["fresh", "other"])):
        case "fresh":
            key = b.alias()
        case "other":
            # The name of another field of the type: keys and fields must not be mixed up.
            key = draw(st.sampled_from(_fields(graphql_type)))
        case _:
            key = name
    head = name + ("(" + ", ".join(arguments) + ")" if arguments else "")
    if key in keys and keys[key][0] != head:
        key = b.alias()  # one key for two different fields (or arguments) would not validate
    # The same field twice under one key: graphql merges their selections, which must
    # agree in turn, so the second one's draws see the first one's keys.
    _, inner_keys = keys.setdefault(key, (head, {}))
    head = head if key == name else f"{key}: {head}"
    if b.directives and draw(one_in(4)):
        head += _directive(b)
    target = get_named_type(graphql_field.type)
    if is_leaf_type(target):
        return head
    assert isinstance(target, GraphQLObjectType)
    return f"{head} {{ {_selection(b, target, depth + 1, inner_keys)} }}"


def _directive(b: _Builder) -> str:
    draw = b.draw
    which = draw(st.sampled_from(["include", "skip"]))
    if draw(st.booleans()):
        return f" @{which}(if: {b.variable('Boolean!', st.booleans())})"
    return f" @{which}(if: {_literal(draw(st.booleans()))})"


def _fragment(b: _Builder, graphql_type: GraphQLObjectType, depth: int, keys: _Keys) -> str:
    draw = b.draw
    inner = _selection(b, graphql_type, depth, keys)  # its fields merge into the same object
    match draw(st.sampled_from(["named", "inline", "untyped"])):
        case "named":
            name = f"F{len(b.fragments)}"
            b.fragments.append(f"fragment {name} on {graphql_type.name} {{ {inner} }}")
            return f"...{name}"
        case "inline":
            return f"... on {graphql_type.name} {{ {inner} }}"
        case _:
            return f"... {{ {inner} }}"


def _filter(b: _Builder) -> str:
    """A random CustomerFilter literal."""
    draw = b.draw
    filter_type = GRAPHQL_SCHEMA.get_type("CustomerFilter")
    assert isinstance(filter_type, GraphQLInputObjectType)
    options: dict[str, st.SearchStrategy[str]] = {
        "segment": st.lists(
            st.sampled_from(_enum_values(filter_type.fields["segment"].type)), max_size=2
        ).map(lambda v: _literal(v, enum=True)),
        "status": st.lists(
            st.sampled_from(_enum_values(filter_type.fields["status"].type)), max_size=2
        ).map(lambda v: _literal(v, enum=True)),
        "branch": st.lists(st.sampled_from(b.pools.branches), max_size=2).map(_literal),
        "loyaltyTier": st.lists(st.sampled_from(b.pools.tier_codes), max_size=2).map(_literal),
        "holdsProduct": st.lists(st.sampled_from(b.pools.product_codes), max_size=2).map(_literal),
        "hasOpenTicket": st.booleans().map(_literal),
        "hasConsentFor": st.sampled_from(_enum_values(filter_type.fields["hasConsentFor"].type)),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=2, unique=True))
    return _literal({name: draw(options[name]) for name in chosen})


@st.composite
def customer_documents(draw: st.DrawFn, pools: Pools) -> Document:
    """A random query for one customer, or for a page of customers."""
    b = _Builder(draw=draw, pools=pools, directives=draw(one_in(5)))
    customer = GRAPHQL_SCHEMA.get_type("Customer")
    assert isinstance(customer, GraphQLObjectType)
    if draw(st.booleans()):
        if draw(st.booleans()):
            root_args = f"id: {b.variable('ID!', pools.any_customer_id())}"
        else:
            root_args = f"id: {_literal(draw(pools.any_customer_id()))}"
        body = f"customer({root_args}) {{ {_selection(b, customer, 1)} }}"
    else:
        arguments = []
        if draw(weighted((3, st.just(True)), (1, st.just(False)))):
            arguments.append(f"first: {b.page_size()}")
        cursors = _cursors(b, "CustomerConnection")
        if draw(st.booleans()):
            arguments.append(f"after: {b.variable('String', st.one_of(st.none(), cursors))}")
        elif draw(st.booleans()):
            arguments.append(f"after: {_literal(draw(cursors))}")
        if draw(one_in(4)):
            arguments.append(f"filter: {_filter(b)}")
        if draw(one_in(6)):
            field_name = draw(st.sampled_from(["ID", "DISPLAY_NAME", "CUSTOMER_SINCE"]))
            direction = draw(st.sampled_from(["ASC", "DESC"]))
            arguments.append(f"orderBy: {{field: {field_name}, direction: {direction}}}")
        inner = _connection_selection(b, customer)
        body = "customers" + (f"({', '.join(arguments)})" if arguments else "") + f" {{ {inner} }}"
    if draw(one_in(5)):
        # A second root field: the compiled path must answer both (or neither).
        body += f" {b.alias()}: customer(id: {_literal(draw(pools.any_customer_id()))})"
        body += f" {{ {_selection(b, customer, 1)} }}"
    if draw(one_in(25)):
        body = body.replace("{ ", "{ notAField ", 1)  # a document that does not validate
    operation_name = None
    if b.variables:
        definitions = ", ".join(f"${name}: {t}" for name, (t, _) in b.variables.items())
        text = f"query Q({definitions}) {{ {body} }}"
    else:
        text = f"{{ {body} }}" if draw(st.booleans()) else f"query Q {{ {body} }}"
    if text.startswith("query Q") and draw(one_in(8)):
        operation_name = "Q"  # and another operation the request does not run
        other = f"query Other {{ customer(id: {_literal(pools.customer_ids[0])}) {{ id }} }}"
        text = " ".join(draw(st.permutations([text, other])))
    text = " ".join([text, *b.fragments])
    runs = draw(st.integers(1, 2)) if b.variables else 1
    variable_sets = []
    for _ in range(runs):
        values = {name: draw(values) for name, (_, values) in b.variables.items()}
        variable_sets.append({k: v for k, v in values.items() if v is not OMITTED})
    return Document(text=text, variable_sets=variable_sets, operation_name=operation_name)


def _connection_selection(b: _Builder, customer: GraphQLObjectType) -> str:
    draw = b.draw
    cursor = "cursor " if draw(st.booleans()) else ""
    parts = [f"edges {{ {cursor}node {{ {_selection(b, customer, 1)} }} }}"]
    if draw(one_in(3)):
        page_fields = draw(
            st.lists(
                st.sampled_from(["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        parts.append(f"pageInfo {{ {' '.join(page_fields)} }}")
    if draw(one_in(3)):
        parts.append("totalCount")
    return " ".join(draw(st.permutations(parts)))
