"""Find a customer from whatever a teller types: a name, an email, a phone, digits, an id.

The query's shape decides which lookups run (``plan_search``); each lookup is an
indexed predicate over a stored search column, written with the same normalisation
functions that wrote the column. The lookups are combined with ``UNION ALL`` in one
statement and every customer keeps its best match:

    rank 0  exact: the email, the national id, the whole phone number, the whole name
    rank 1  a phone number's last digits, an account's last four digits, a name's start
    rank 2  every word of the query somewhere in the name

Within a rank, results are ordered by name, then id.

The statements for every query but a name are built once per shape of plan (which
lookups apply) and scope, with the query's values as bound parameters: building and
hashing a ``select()`` cost more CPU than running it, and a SQL text that changed with
every query was another statement for PostgreSQL to prepare and plan on each search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import ContactKind
from c360.customers.normalize import (
    email_search_key,
    fold_text,
    national_id_hash,
    normalize_national_id,
    phone_query_key,
)
from c360.customers.repository import contact_point, customer
from c360.customers.visibility import UNRESTRICTED, CustomerScope, visible_condition
from c360.errors import InvalidArgumentError
from c360.holdings.repository import holding

__all__ = ["MatchKind", "SearchHit", "SearchPlan", "count_matches", "find_customers", "plan_search"]

MIN_NAME_QUERY_LENGTH = 2
# A national or tax id: letters and digits (separators aside), with at least one digit.
_NATIONAL_ID = re.compile(r"(?=[A-Z]*\d)[A-Z0-9]{6,20}")
# What a phone number or a run of digits may be typed with.
_DIGITS_QUERY = re.compile(r"[\d\s+().\-/]+")
_NON_DIGITS = re.compile(r"\D+")


class MatchKind(IntEnum):
    """What a customer was found by; on equal rank, the lower value wins."""

    NATIONAL_ID = 0
    EMAIL = 1
    PHONE = 2
    ACCOUNT_REF = 3
    NAME = 4


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The lookups a query calls for; each is None (or empty) when it does not apply."""

    email: str | None = None
    phone_key: str | None = None
    account_last4: str | None = None
    national_id_hash: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    customer: Row[Any]
    rank: int
    matched_on: MatchKind


def plan_search(query: str, *, secret_key: str) -> SearchPlan:
    """Decide from the query's shape which lookups apply; raise if none can."""
    text = query.strip()
    if "@" in text:
        return SearchPlan(email=email_search_key(text))
    national_id = normalize_national_id(text)
    hashed_id = (
        national_id_hash(national_id, secret_key=secret_key)
        if _NATIONAL_ID.fullmatch(national_id)
        else None
    )
    if _DIGITS_QUERY.fullmatch(text) and any(ch.isdigit() for ch in text):
        digits = _NON_DIGITS.sub("", text)
        plan = SearchPlan(
            phone_key=phone_query_key(text),
            account_last4=digits if len(digits) == 4 else None,
            national_id_hash=hashed_id,
        )
        if plan == SearchPlan():
            raise InvalidArgumentError(
                "too few digits to search: give 4 account digits, or at least 6 digits "
                "of a phone number or national id"
            )
        return plan
    if hashed_id is not None and not any(ch.isspace() for ch in text):
        # Letters and digits in one word: an id such as "12345678Z", never a name.
        return SearchPlan(national_id_hash=hashed_id)
    name = fold_text(text)
    if len(name) < MIN_NAME_QUERY_LENGTH:
        raise InvalidArgumentError(
            f"query must have at least {MIN_NAME_QUERY_LENGTH} letters or be an email, "
            "a phone number, account digits or a national id"
        )
    return SearchPlan(name=name)


def _score(rank: int, kind: MatchKind) -> int:
    # One integer per match, so that a customer's best match is a plain MIN().
    return rank * 10 + kind


def _fixed_score(rank: int, kind: MatchKind) -> ColumnElement[int]:
    # Inlined, not bound: PostgreSQL cannot infer a bound parameter's type in a UNION.
    return literal_column(str(_score(rank, kind)), Integer)


def _match(customer_id: ColumnElement[int], score: ColumnElement[int]) -> Select[int, int]:
    """One lookup's (customer_id, score) rows; the WHERE clause is the caller's."""
    return select(customer_id.label("customer_id"), score.label("score"))


# The values of the lookups that are built once: placeholders, given at execution.
_EMAIL_KIND = bindparam("email_kind", type_=contact_point.c.kind.type)
_EMAIL = bindparam("email", type_=String())
_PHONE_KIND = bindparam("phone_kind", type_=contact_point.c.kind.type)
_PHONE_KEY = bindparam("phone_key", type_=String())
_PHONE_KEY_END = bindparam("phone_key_end", type_=String())
_ACCOUNT_LAST4 = bindparam("account_last4", type_=String())
_NATIONAL_ID_HASH = bindparam("national_id_hash", type_=String())
_LIMIT = bindparam("limit", type_=Integer())
_OFFSET = bindparam("offset", type_=Integer())


@dataclass(frozen=True, slots=True)
class _Shape:
    """Which of the lookups that take bound values a plan calls for."""

    email: bool
    phone: bool
    account: bool
    national_id: bool

    @classmethod
    def of(cls, plan: SearchPlan) -> _Shape:
        return cls(
            email=plan.email is not None,
            phone=plan.phone_key is not None,
            account=plan.account_last4 is not None,
            national_id=plan.national_id_hash is not None,
        )


def _values(plan: SearchPlan) -> dict[str, Any]:
    """The bound values of ``plan``'s lookups, by parameter name."""
    values: dict[str, Any] = {}
    if plan.email is not None:
        values.update(email_kind=ContactKind.EMAIL, email=plan.email)
    if plan.phone_key is not None:
        values.update(
            phone_kind=ContactKind.PHONE,
            phone_key=plan.phone_key,
            phone_key_end=_next_prefix(plan.phone_key),
        )
    if plan.account_last4 is not None:
        values["account_last4"] = plan.account_last4
    if plan.national_id_hash is not None:
        values["national_id_hash"] = plan.national_id_hash
    return values


def _next_prefix(key: str) -> str:
    """The least string above every string that starts with ``key`` (which is not empty)."""
    return key[:-1] + chr(ord(key[-1]) + 1)


def _starts_with(column: ColumnElement[str], dialect_name: str) -> ColumnElement[bool]:
    """``column`` starts with the phone key, as a range of the two bound keys.

    ``LIKE :key || '%'`` would not do: with the key bound, PostgreSQL's generic plan
    cannot see a prefix and scans every phone number. The range is the same set of
    strings compared byte by byte, which is what PostgreSQL's ``~>=~``/``~<~`` do (the
    operators of the ``text_pattern_ops`` index, whatever the collation) and what
    SQLite's default BINARY collation does.
    """
    if dialect_name == "postgresql":
        return and_(
            column.op("~>=~", is_comparison=True)(_PHONE_KEY),
            column.op("~<~", is_comparison=True)(_PHONE_KEY_END),
        )
    return and_(column >= _PHONE_KEY, column < _PHONE_KEY_END)


def _lookups(shape: _Shape, dialect_name: str) -> list[Select[int, int]]:
    lookups: list[Select[int, int]] = []
    if shape.email:
        lookups.append(
            _match(contact_point.c.customer_id, _fixed_score(0, MatchKind.EMAIL)).where(
                contact_point.c.kind == _EMAIL_KIND,
                contact_point.c.search_key == _EMAIL,
            )
        )
    if shape.phone:
        whole_number = case(
            (contact_point.c.search_key == _PHONE_KEY, _fixed_score(0, MatchKind.PHONE)),
            else_=_fixed_score(1, MatchKind.PHONE),
        )
        lookups.append(
            _match(contact_point.c.customer_id, whole_number).where(
                contact_point.c.kind == _PHONE_KIND,
                _starts_with(contact_point.c.search_key, dialect_name),
            )
        )
    if shape.account:
        lookups.append(
            _match(holding.c.customer_id, _fixed_score(1, MatchKind.ACCOUNT_REF)).where(
                holding.c.account_ref_last4 == _ACCOUNT_LAST4
            )
        )
    if shape.national_id:
        lookups.append(
            _match(customer.c.id, _fixed_score(0, MatchKind.NATIONAL_ID)).where(
                customer.c.national_id_hash == _NATIONAL_ID_HASH
            )
        )
    return lookups


def _all_lookups(plan: SearchPlan, dialect_name: str) -> list[Select[int, int]]:
    lookups = _lookups(_Shape.of(plan), dialect_name)
    if plan.name is not None:
        lookups.append(_name_lookup(plan.name))
    return lookups


def _name_lookup(name: str) -> Select[int, int]:
    how_close = case(
        (customer.c.search_name == name, _fixed_score(0, MatchKind.NAME)),
        (customer.c.search_name.startswith(name, autoescape=True), _fixed_score(1, MatchKind.NAME)),
        else_=_fixed_score(2, MatchKind.NAME),
    )
    # Every word somewhere in the name, so "perez lucja" finds "Łucja Pérez". The
    # patterns are rendered into the SQL (escaped), not bound, so that PostgreSQL's
    # trigram index serves them under the generic plans c360.database asks for.
    words = [
        customer.c.search_name.like(
            literal(f"%{_like_escaped(word)}%", String(), literal_execute=True), escape="/"
        )
        for word in name.split()
    ]
    return _match(customer.c.id, how_close).where(and_(*words))


def _like_escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _best_scores(lookups: list[Select[int, int]]) -> Any:
    matches = (lookups[0] if len(lookups) == 1 else union_all(*lookups)).subquery("matches")
    return (
        select(matches.c.customer_id, func.min(matches.c.score).label("score"))
        .group_by(matches.c.customer_id)
        .subquery("best")
    )


def _page(lookups: list[Select[int, int]], scope: CustomerScope) -> Select[Any]:
    best = _best_scores(lookups)
    return (
        select(customer, best.c.score.label("search_score"))
        .join(best, best.c.customer_id == customer.c.id)
        .where(*_visible(scope))
        .order_by(best.c.score, customer.c.search_name, customer.c.id)
        .limit(_LIMIT)
        .offset(_OFFSET)
    )


def _count(lookups: list[Select[int, int]], scope: CustomerScope) -> Select[Any]:
    best = _best_scores(lookups)
    stmt = select(func.count()).select_from(best)
    if not scope.unrestricted:
        stmt = stmt.join(customer, customer.c.id == best.c.customer_id).where(*_visible(scope))
    return stmt


# One per shape and scope in use (partners, branches, signed-in customers).
@lru_cache(maxsize=256)
def _page_statement(shape: _Shape, scope: CustomerScope, dialect_name: str) -> Select[Any]:
    return _page(_lookups(shape, dialect_name), scope)


@lru_cache(maxsize=256)
def _count_statement(shape: _Shape, scope: CustomerScope, dialect_name: str) -> Select[Any]:
    return _count(_lookups(shape, dialect_name), scope)


async def find_customers(
    conn: AsyncConnection,
    plan: SearchPlan,
    *,
    limit: int,
    offset: int = 0,
    scope: CustomerScope = UNRESTRICTED,
) -> list[SearchHit]:
    """The best-ranked ``limit`` customers ``scope`` may see, after the first ``offset``."""
    if plan.name is not None:  # its patterns are written into the SQL: built each time
        stmt = _page(_all_lookups(plan, conn.dialect.name), scope)
    else:
        stmt = _page_statement(_Shape.of(plan), scope, conn.dialect.name)
    rows = (await conn.execute(stmt, {**_values(plan), "limit": limit, "offset": offset})).all()
    return [
        SearchHit(
            customer=row, rank=row.search_score // 10, matched_on=MatchKind(row.search_score % 10)
        )
        for row in rows
    ]


async def count_matches(
    conn: AsyncConnection, plan: SearchPlan, *, scope: CustomerScope = UNRESTRICTED
) -> int:
    if plan.name is not None:
        stmt = _count(_all_lookups(plan, conn.dialect.name), scope)
    else:
        stmt = _count_statement(_Shape.of(plan), scope, conn.dialect.name)
    return int((await conn.execute(stmt, _values(plan))).scalar_one())


def _visible(scope: CustomerScope) -> list[ColumnElement[bool]]:
    condition = visible_condition(scope)
    return [] if condition is None else [condition]
