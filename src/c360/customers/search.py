"""Find a customer from whatever a teller types: a name, an email, a phone, digits, an id.

The query's shape decides which lookups run (``plan_search``); each lookup is an
indexed predicate over a stored search column, written with the same normalisation
functions that wrote the column. The lookups are combined with ``UNION ALL`` in one
statement and every customer keeps its best match:

    rank 0  exact: the email, the national id, the whole phone number, the whole name
    rank 1  a phone number's last digits, an account's last four digits, a name's start
    rank 2  every word of the query somewhere in the name

Within a rank, results are ordered by name, then id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
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


def _lookups(plan: SearchPlan) -> list[Select[int, int]]:
    lookups: list[Select[int, int]] = []
    if plan.email is not None:
        lookups.append(
            _match(contact_point.c.customer_id, _fixed_score(0, MatchKind.EMAIL)).where(
                contact_point.c.kind == ContactKind.EMAIL,
                contact_point.c.search_key == plan.email,
            )
        )
    if plan.phone_key is not None:
        whole_number = case(
            (contact_point.c.search_key == plan.phone_key, _fixed_score(0, MatchKind.PHONE)),
            else_=_fixed_score(1, MatchKind.PHONE),
        )
        lookups.append(
            _match(contact_point.c.customer_id, whole_number).where(
                contact_point.c.kind == ContactKind.PHONE,
                # Rendered into the SQL, not bound: a prefix the planner can see lets
                # PostgreSQL use the text_pattern_ops index under the generic plans
                # c360.database asks for. Digits only, so nothing to escape.
                contact_point.c.search_key.startswith(
                    literal(plan.phone_key, String(), literal_execute=True)
                ),
            )
        )
    if plan.account_last4 is not None:
        lookups.append(
            _match(holding.c.customer_id, _fixed_score(1, MatchKind.ACCOUNT_REF)).where(
                holding.c.account_ref_last4 == plan.account_last4
            )
        )
    if plan.national_id_hash is not None:
        lookups.append(
            _match(customer.c.id, _fixed_score(0, MatchKind.NATIONAL_ID)).where(
                customer.c.national_id_hash == plan.national_id_hash
            )
        )
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


def _best_scores(plan: SearchPlan) -> Any:
    lookups = _lookups(plan)
    matches = (lookups[0] if len(lookups) == 1 else union_all(*lookups)).subquery("matches")
    return (
        select(matches.c.customer_id, func.min(matches.c.score).label("score"))
        .group_by(matches.c.customer_id)
        .subquery("best")
    )


async def find_customers(
    conn: AsyncConnection,
    plan: SearchPlan,
    *,
    limit: int,
    offset: int = 0,
    scope: CustomerScope = UNRESTRICTED,
) -> list[SearchHit]:
    """The best-ranked ``limit`` customers ``scope`` may see, after the first ``offset``."""
    best = _best_scores(plan)
    stmt = (
        select(customer, best.c.score.label("search_score"))
        .join(best, best.c.customer_id == customer.c.id)
        .where(*_visible(scope))
        .order_by(best.c.score, customer.c.search_name, customer.c.id)
        .limit(limit)
        .offset(offset)
    )
    rows = (await conn.execute(stmt)).all()
    return [
        SearchHit(
            customer=row, rank=row.search_score // 10, matched_on=MatchKind(row.search_score % 10)
        )
        for row in rows
    ]


async def count_matches(
    conn: AsyncConnection, plan: SearchPlan, *, scope: CustomerScope = UNRESTRICTED
) -> int:
    best = _best_scores(plan)
    stmt = select(func.count()).select_from(best)
    if not scope.unrestricted:
        stmt = stmt.join(customer, customer.c.id == best.c.customer_id).where(*_visible(scope))
    return int((await conn.execute(stmt)).scalar_one())


def _visible(scope: CustomerScope) -> list[ColumnElement[bool]]:
    condition = visible_condition(scope)
    return [] if condition is None else [condition]
