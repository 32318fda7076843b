"""Many read statements in one round trip: each one's rows come back as a JSON array.

A GraphQL request reads level by level: the customer, then every section of it (its
contacts, holdings, loyalty, tickets...), then what hangs under those. The loaders of
one level all dispatch in the same event-loop tick, and each would otherwise pay a
round trip of its own: a network wait, a statement to plan, and Python on both sides
of the driver. The request's database (``c360.graphql.db``) collects the SELECTs issued
while the loop is busy with one level and runs them as one statement, built here::

    SELECT (SELECT coalesce(json_agg(json_build_array(s0.*) ORDER BY s0._ord), '[]')
            FROM (<first statement>, row_number() OVER (<its ORDER BY>) AS _ord) AS s0),
           (SELECT ... FROM (<second statement>) AS s1), ...

and hands each caller an ordinary ``Result`` whose rows are what the statement alone
would have returned: same keys, same order, same Python values. Each value is decoded
from JSON the way the driver would have (a timestamp is parsed, a numeric travels as
text so that it stays exact) and then through the column type's own result processing.

A statement is run on its own, as before, when it is not a plain SELECT (or a UNION ALL
with no order to keep) or when one of its columns has a type whose JSON form could
differ from the driver's value (binary, floats on SQLite, which prints them with 15
digits). On PostgreSQL the request's reads
share one REPEATABLE READ snapshot either way (``c360.graphql.db``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    all_,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    types,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Result
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnElement
from sqlalchemy.sql.visitors import replacement_traverse

__all__ = ["Batchable", "Combined", "batchable", "combined_statement", "decode_results"]

_ORDINAL = "_c360_ord"
# Columns whose IN lists become arrays on PostgreSQL (ids, codes, enum values).
_ARRAY_ITEM_TYPES = (types.Integer, types.String)
Decode = Callable[[Any], Any]


class Batchable:
    """A SELECT prepared for batching: its renamed copy and how to decode its rows."""

    __slots__ = ("keys", "decode", "metadata", "template")

    def __init__(
        self,
        *,
        template: Select[Any],
        keys: tuple[str, ...],
        decode: Callable[[list[list[Any]]], list[tuple[Any, ...]]],
    ) -> None:
        self.template = template  # bind parameters renamed __b0, __b1... in cache-key order
        self.keys = keys
        self.decode = decode  # the JSON arrays of its rows -> the rows, as the driver gives them
        # Read-only once built, so every result of the statement shares it.
        self.metadata = SimpleResultMetaData(keys)


def batchable(
    statement: Any, params: dict[str, Any] | None, dialect: Dialect
) -> tuple[Batchable, list[Any]] | None:
    """The statement prepared for batching with its parameter values in template order,
    or None when it must run on its own."""
    if isinstance(statement, CompoundSelect):
        # A UNION ALL of facts, say: taken when its rows have no order to keep.
        if (
            statement._order_by_clauses
            or statement._limit_clause is not None
            or statement._offset_clause is not None
        ):
            return None
    elif not isinstance(statement, Select):
        return None
    elif statement._distinct and not statement._distinct_on:
        return None  # the ordinal column would make every row distinct
    if statement._for_update_arg is not None:
        return None
    cache_key = statement._generate_cache_key()  # memoised on the statement object
    if cache_key is None:
        return None
    # The loaders' statements are built once and reused: know them by identity, and
    # hash a statement's structure (a deep tuple) only the first time it is seen.
    known = _by_identity.peek(id(statement))
    if known is not None and known[0] is statement and known[1] == dialect.name:
        prepared = known[2]
    else:
        prepared = _prepared.get((cache_key.key, dialect.name), lambda: _build(statement, dialect))
        if _reusable(cache_key.bindparams):
            _by_identity.put(id(statement), (statement, dialect.name, prepared))
    if prepared is None:
        return None
    given = params or {}
    values = [given.get(bound.key, bound.effective_value) for bound in cache_key.bindparams]
    return prepared, values


def _reusable(bindparams: Sequence[BindParameter[Any]]) -> bool:
    """Whether a statement looks built once and reused: all its parameters are
    placeholders. One that carries its own values was built for one call (a search,
    say); keeping it alive by identity would only hold memory."""
    return all(bound.value is None and bound.callable is None for bound in bindparams)


class _BoundedCache:
    """A dict that forgets its oldest entries: statement shapes are few in practice,
    but nothing a client sends should grow memory without end."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[Any, Any] = {}

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        try:
            return self._entries[key]
        except KeyError:
            pass
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        value = self._entries[key] = build()
        return value

    def put(self, key: Any, value: Any) -> None:
        if key not in self._entries and len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = value

    def peek(self, key: Any) -> Any:
        return self._entries.get(key)


_prepared = _BoundedCache(512)
_by_identity = _BoundedCache(1024)  # id -> (the statement itself, dialect, prepared)
_combined = _BoundedCache(256)


def _build(statement: Select[Any], dialect: Dialect) -> Batchable | None:
    keys = tuple(statement.selected_columns.keys())
    if len(set(keys)) != len(keys):
        return None
    cells: list[_Cell | None] = []
    for column in statement.selected_columns:
        cell = _decoder(column.type, dialect)
        if cell is False:
            return None
        cells.append(cell)  # type: ignore[arg-type]
    cache_key = statement._generate_cache_key()
    assert cache_key is not None
    position = {id(bound): index for index, bound in enumerate(cache_key.bindparams)}

    def rename(element: Any) -> Any:
        if (
            dialect.name == "postgresql"
            and isinstance(element, BinaryExpression)
            and element.operator in (operators.in_op, operators.not_in_op)
            and isinstance(element.right, BindParameter)
            and element.right.expanding
            and id(element.right) in position
            and isinstance(_base_type(element.left.type), _ARRAY_ITEM_TYPES)
        ):
            # `x IN (1, 2, 3)` renders its list into the SQL text on every execution,
            # and every length of list is another statement for the server to prepare;
            # `x = ANY($1)` with an array is one text, prepared once.
            values = bindparam(
                f"__b{position[id(element.right)]}",
                type_=postgresql.ARRAY(element.left.type),
                required=False,
            )
            if element.operator is operators.in_op:
                return element.left == any_(values)
            return element.left != all_(values)
        if isinstance(element, BindParameter) and id(element) in position:
            return bindparam(
                f"__b{position[id(element)]}",
                type_=element.type,
                expanding=element.expanding,
                literal_execute=element.literal_execute,
                required=False,
            )
        return None

    return Batchable(
        template=replacement_traverse(statement, {}, rename),
        keys=keys,
        decode=_row_decoder(cells, start=1 if dialect.name == "sqlite" else 0),
    )


class Combined:
    """The combined statement of some items, and each item's parameter name prefix.

    On PostgreSQL it also carries its SQL text, compiled once: a dozen sections make a
    large statement, and executing it as a construct would build and hash its cache key
    (a deep tuple) on every request to find that same text. Its columns are all text,
    so the rows need none of SQLAlchemy's result processing either.
    """

    __slots__ = ("statement", "prefixes", "text", "positions", "processors", "_compiled")

    def __init__(self, statement: Select[Any], prefixes: list[str], dialect: Dialect) -> None:
        self.statement = statement
        self.prefixes = prefixes
        self.text: str | None = None
        compiled = statement.compile(dialect=dialect)
        if (
            dialect.name == "postgresql"
            and compiled.positional
            and compiled.positiontup is not None
            and not compiled.literal_execute_params
            and not compiled.post_compile_params
        ):
            self.text = compiled.string
            self.positions = tuple(compiled.positiontup)
            self.processors = compiled._bind_processors
            self._compiled = compiled

    def driver_parameters(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """``params`` as the driver takes them for ``text``: positional, each through its
        type's bind processing, as SQLAlchemy's execution would send them."""
        values = self._compiled.construct_params(params, escape_names=False)
        processors = self.processors
        return tuple(
            processors[key](values[key]) if key in processors else values[key]
            for key in self.positions
        )


def combined_statement(items: Sequence[Batchable], dialect: Dialect) -> Combined:
    """One SELECT with a JSON column per item."""
    # Keyed by the items' identities (they are cached and long-lived); the items are kept
    # in the entry and compared, so a recycled id can never pick a stale statement.
    key = (tuple(map(id, items)), dialect.name)
    found = _combined.peek(key)
    if found is not None and all(a is b for a, b in zip(found[0], items, strict=True)):
        combined: Combined = found[1]
        return combined
    statement, prefixes = _build_combined(items, dialect.name)
    combined = Combined(statement, prefixes, dialect)
    _combined.put(key, (tuple(items), combined))
    return combined


def _build_combined(items: Sequence[Batchable], dialect_name: str) -> tuple[Select[Any], list[str]]:
    columns = []
    prefixes = []
    for index, item in enumerate(items):
        prefix = f"s{index}"
        prefixes.append(prefix)
        columns.append(_json_rows(item, prefix, dialect_name).label(prefix))
    return select(*columns), prefixes


def _json_rows(item: Batchable, prefix: str, dialect_name: str) -> ColumnElement[Any]:
    renamed = replacement_traverse(
        item.template,
        {},
        lambda element: (
            bindparam(
                f"{prefix}{element.key}",
                type_=element.type,
                expanding=element.expanding,
                literal_execute=element.literal_execute,
                required=False,
            )
            if isinstance(element, BindParameter) and element.key.startswith("__b")
            else None
        ),
    )
    if isinstance(renamed, CompoundSelect):
        renamed = select(*renamed.subquery(f"{prefix}u").c)
    order = list(renamed._order_by_clauses)
    ordinal = (func.row_number().over(order_by=order) if order else func.row_number().over()).label(
        _ORDINAL
    )
    sub = renamed.add_columns(ordinal).subquery(prefix)
    values = [sub.c[index] for index in range(len(item.keys))]
    if dialect_name == "postgresql":
        row = func.json_build_array(*[_pg_value(value) for value in values])
        rows = func.json_agg(aggregate_order_by(row, sub.c[_ORDINAL]))
        empty = literal_column("'[]'::json")
        return select(cast(func.coalesce(rows, empty), String)).select_from(sub).scalar_subquery()
    row = func.json_array(sub.c[_ORDINAL], *values)
    return (
        select(func.coalesce(func.json_group_array(func.json(row)), "[]"))
        .select_from(sub)
        .scalar_subquery()
    )


def aggregate_order_by(row: Any, ordinal: Any) -> Any:
    from sqlalchemy.dialects.postgresql import aggregate_order_by as pg_order

    return pg_order(row, ordinal)


def _pg_value(value: ColumnElement[Any]) -> ColumnElement[Any]:
    # Numerics travel as text so that they stay exact (JSON numbers would be floats to
    # the decoder). A JSON column nests as JSON: asyncpg decodes JSON columns itself.
    base = _base_type(value.type)
    if isinstance(base, types.Numeric) and not isinstance(base, types.Float):
        return cast(value, String)
    return value


def _base_type(type_: types.TypeEngine[Any]) -> types.TypeEngine[Any]:
    while isinstance(type_, types.TypeDecorator):
        type_ = type_.impl_instance
    return type_


class _Cell:
    """How one column's JSON value becomes what a plain execution would have returned:
    ``raw`` reads the JSON form (None stays None), ``processor`` is the column type's own
    result processing, and an Enum's ``lookup`` maps the stored string to its member."""

    __slots__ = ("raw", "processor", "lookup")

    def __init__(
        self,
        raw: Decode | None = None,
        processor: Decode | None = None,
        lookup: dict[Any, Any] | None = None,
    ) -> None:
        self.raw = raw
        self.processor = processor
        self.lookup = lookup


def _decoder(type_: types.TypeEngine[Any], dialect: Dialect) -> _Cell | None | bool:
    """How to turn a JSON value into what a plain execution would have returned: None
    when it already is, False when that cannot be done exactly."""
    impl = type_.dialect_impl(dialect)
    base = _base_type(impl)
    if isinstance(impl, types.TypeDecorator):
        base = impl.load_dialect_impl(dialect)
        while isinstance(base, types.TypeDecorator):
            base = base.load_dialect_impl(dialect)
    if isinstance(base, types.NullType):
        return None
    if isinstance(base, (types._Binary, types.Interval, types.Uuid)):
        return False
    if isinstance(base, types.PickleType):
        return False
    if (
        isinstance(impl, types.Enum)
        and impl.enum_class is not None
        and super(types.Enum, impl).result_processor(dialect, None) is None
    ):
        # Its processor is this dict lookup behind two calls (an unknown string still
        # fails, with a KeyError, which is a LookupError as the processor's is).
        return _Cell(lookup=impl._object_lookup)
    raw: Decode | None = None
    if dialect.name == "postgresql":
        if isinstance(base, types.DateTime):
            raw = dt.datetime.fromisoformat
        elif isinstance(base, types.Date):
            raw = dt.date.fromisoformat
        elif isinstance(base, types.Time):
            return False
        elif isinstance(base, types.Float):
            raw = None  # JSON prints float8 exactly enough to read back the same double
        elif isinstance(base, types.Numeric):
            raw = Decimal
        elif isinstance(base, (types.ARRAY,)):
            return False
    elif dialect.name == "sqlite":
        if isinstance(base, types.Float):
            return False
    else:
        return False
    if raw is Decimal:
        # The driver's own numeric handling needs the column's type oid; the text is
        # already what it would have built. Only a TypeDecorator's own step remains.
        processor = _decorator_step(type_, dialect)
    else:
        processor = type_._cached_result_processor(dialect, None)
    if raw is None and processor is None:
        return None
    return _Cell(raw=raw, processor=processor)


def _decorator_step(type_: types.TypeEngine[Any], dialect: Dialect) -> Decode | None:
    if not isinstance(type_, types.TypeDecorator):
        return None
    return lambda value: type_.process_result_value(value, dialect)


def _row_decoder(
    cells: Sequence[_Cell | None], *, start: int
) -> Callable[[list[list[Any]]], list[tuple[Any, ...]]]:
    """A function from a statement's JSON rows to its rows, written out for its columns.

    A page of 50 customers decodes some 6,000 values; spelled out in one comprehension,
    an enum column is a dict lookup and a timestamp one call of the parser, with no
    Python frame per value in between. (``start``: SQLite's rows begin with their
    ordinal.)
    """
    names: dict[str, Any] = {}
    values = []
    for index, cell in enumerate(cells):
        value = f"r[{index + start}]"
        if cell is None:
            values.append(value)
        elif cell.lookup is not None:
            names[f"l{index}"] = cell.lookup
            values.append(f"l{index}[{value}]")
        else:
            if cell.raw is not None:
                names[f"f{index}"] = cell.raw
                value = f"(None if {value} is None else f{index}({value}))"
            if cell.processor is not None:
                names[f"p{index}"] = cell.processor
                value = f"p{index}({value})"
            values.append(value)
    source = f"def decode(rows):\n    return [({', '.join(values)},) for r in rows]\n"
    exec(compile(source, "<c360 row decoder>", "exec"), names)  # noqa: S102 - our own text
    decode: Callable[[list[list[Any]]], list[tuple[Any, ...]]] = names["decode"]
    return decode


def decode_results(
    items: Sequence[Batchable], row: Sequence[Any], dialect_name: str
) -> list[Result[Any]]:
    """One ``Result`` per item from the combined statement's single row."""
    results: list[Result[Any]] = []
    sqlite = dialect_name == "sqlite"
    for item, text in zip(items, row, strict=True):
        rows = orjson.loads(text)
        if sqlite:
            rows.sort(key=itemgetter(0))
        results.append(IteratorResult(item.metadata, iter(item.decode(rows))))
    return results
