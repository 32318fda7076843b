"""Relay cursor connections: the generic types, ``first``/``after`` checks and cursors.

Only forward pagination (``first``/``after``) is offered. ``pageInfo.hasNextPage`` comes
from fetching one row more than asked; ``hasPreviousPage`` is true when an ``after``
cursor was given (the Relay spec allows this cheap answer). ``totalCount`` is a resolver
over a count thunk, so the count query only runs when a client selects it.

A cursor is the URL-safe base64 of a small JSON array whose first item names the list
it belongs to, so a cursor from one list is refused by another (``INVALID_CURSOR``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
import strawberry

from c360.errors import InvalidArgumentError, InvalidCursorError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Connection",
    "Edge",
    "PageInfo",
    "build_connection",
    "decode_cursor",
    "decode_position_cursor",
    "encode_cursor",
    "encode_position_cursor",
    "page_size",
]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_CURSOR_LENGTH = 1000

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for with an `after` cursor."
    )
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a page, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list, with the cursors to fetch the next one.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds (counted only when asked).")
    async def total_count(self) -> int:
        return await self._count()


def page_size(first: int | None) -> int:
    """The validated page size: DEFAULT_PAGE_SIZE when not given, at most MAX_PAGE_SIZE."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(f"first must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    return first


def build_connection(
    items: Sequence[ItemT],
    *,
    limit: int,
    node: Callable[[ItemT], NodeT],
    cursor: Callable[[ItemT], str],
    after: str | None,
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """A page from ``items``, fetched with one more than ``limit`` to tell if more follow."""
    page = items[:limit]
    edges: list[Edge[NodeT]] = [_LazyEdge(item, node(item), cursor) for item in page]
    return Connection(
        edges=edges,
        page_info=_LazyPageInfo(
            has_next_page=len(items) > limit,
            has_previous_page=after is not None,
            first=edges[0] if edges else None,
            last=edges[-1] if edges else None,
        ),
        _count=count,
    )


class _LazyEdge(Edge[NodeT]):
    """An edge whose cursor is encoded when a field asks for it: most pages are read
    without cursors (a teller's latest interactions, a web page of customers)."""

    def __init__(self, item: Any, node: NodeT, cursor: Callable[[Any], str]) -> None:
        self._item = item
        self._encode = cursor
        self.node = node

    @property  # type: ignore[misc]
    def cursor(self) -> str:
        return self._encode(self._item)


class _LazyPageInfo(PageInfo):
    def __init__(
        self,
        *,
        has_next_page: bool,
        has_previous_page: bool,
        first: Edge[Any] | None,
        last: Edge[Any] | None,
    ) -> None:
        self.has_next_page = has_next_page
        self.has_previous_page = has_previous_page
        self._first = first
        self._last = last

    @property  # type: ignore[misc]
    def start_cursor(self) -> str | None:
        return None if self._first is None else self._first.cursor

    @property  # type: ignore[misc]
    def end_cursor(self) -> str | None:
        return None if self._last is None else self._last.cursor


def encode_cursor(kind: str, *values: Any) -> str:
    raw = orjson.dumps([kind, *values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    """The ``arity`` values of a cursor that ``encode_cursor(kind, ...)`` made."""
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
    except (binascii.Error, ValueError):
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}") from None
    if not isinstance(decoded, list) or len(decoded) != arity + 1 or decoded[0] != kind:
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}")
    return decoded[1:]


def decode_position_cursor(kind: str, cursor: str) -> tuple[dt.datetime, int]:
    """A (timestamp, id) cursor of a newest-first list."""
    at, row_id = decode_cursor(kind, cursor, 2)
    try:
        timestamp = dt.datetime.fromisoformat(at)
    except (TypeError, ValueError):
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}") from None
    if timestamp.tzinfo is None or not _is_id(row_id):
        raise InvalidCursorError(f"not a cursor of this list: {cursor!r}")
    return timestamp, row_id


def encode_position_cursor(kind: str, at: dt.datetime, row_id: int) -> str:
    return encode_cursor(kind, at.isoformat(), row_id)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
