"""Everything the pipeline reads about a page of customers, in one statement.

The snapshot's facts (``c360.recommend.features.feature_facts``), the consents in force
and the recent offer responses are branches of one UNION ALL: a request that shows
offers for one customer pays one round trip for them, not six. The rules are those of
``read_snapshot``, ``c360.recommend.service.read_consents`` and
``c360.recommend.suppression.read_recent_responses``, which read the same things one at
a time (training and the tests use them); a test checks that both ways agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from sqlalchemy import CompoundSelect, Integer, String, bindparam, cast, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Channel
from c360.database import UtcDateTime
from c360.models import Consent, Product
from c360.recommend.features import (
    CUSTOMER_IDS,
    Snapshot,
    build_snapshot,
    fact,
    feature_facts,
    feature_parameters,
)
from c360.recommend.models import OfferResponse, OfferResponseKind
from c360.recommend.suppression import RecentResponse

__all__ = ["Page", "read_page"]

CONSENTS_AT = bindparam("consents_at", type_=UtcDateTime())
RESPONSES_SINCE = bindparam("responses_since", type_=UtcDateTime())


@dataclass(frozen=True)
class Page:
    as_of: dt.date
    product_codes: tuple[str, ...]
    facts: Sequence[Any]  # the snapshot's rows of the statement
    consents: dict[int, set[str]]  # the purposes whose latest choice grants
    responses: dict[int, list[RecentResponse]]  # oldest first

    @cached_property
    def snapshot(self) -> Snapshot:
        """The whole page's features."""
        return build_snapshot(self.as_of, self.product_codes, self.facts)

    def snapshot_of(self, customer_ids: Collection[int]) -> Snapshot:
        """The features of ``customer_ids`` alone (those of the page among them)."""
        return build_snapshot(self.as_of, self.product_codes, self.facts, only=customer_ids)


@cache
def _page_statement() -> CompoundSelect:
    consents = fact(
        "consent",
        Consent.customer_id,
        text1=type_coerce(Consent.purpose, String()),
        number=cast(Consent.granted, Integer()),
        seq=Consent.id,
        at=Consent.captured_at,
    ).where(
        Consent.customer_id.in_(CUSTOMER_IDS),
        Consent.partner_id.is_(None),
        Consent.captured_at <= CONSENTS_AT,
    )
    responses = (
        fact(
            "response",
            OfferResponse.customer_id,
            text1=Product.code,
            text2=type_coerce(OfferResponse.response, String()),
            text3=type_coerce(OfferResponse.channel, String()),
            seq=OfferResponse.id,
            at=OfferResponse.responded_at,
        )
        .join_from(OfferResponse, Product, Product.id == OfferResponse.product_id)
        .where(
            OfferResponse.customer_id.in_(CUSTOMER_IDS),
            OfferResponse.responded_at >= RESPONSES_SINCE,
        )
    )
    return union_all(*feature_facts(by_id=True), consents, responses)


async def read_page(
    connection: AsyncConnection,
    *,
    customer_ids: Sequence[int],
    as_of: dt.date,
    product_codes: tuple[str, ...],
    consents_at: dt.datetime,
    responses_since: dt.datetime,
) -> Page:
    """The snapshot on ``as_of``, the consents captured by ``consents_at`` and the
    responses since ``responses_since`` of ``customer_ids``."""
    if not customer_ids:
        return Page(as_of, product_codes, [], {}, {})
    parameters = feature_parameters(as_of, customer_ids)
    parameters.update(consents_at=consents_at, responses_since=responses_since)
    facts = (await connection.execute(_page_statement(), parameters)).all()
    return Page(
        as_of,
        product_codes,
        facts,
        _granted(f for f in facts if f.kind == "consent"),
        _responses(f for f in facts if f.kind == "response"),
    )


def _granted(facts: Any) -> dict[int, set[str]]:
    latest: dict[tuple[int, str], tuple[dt.datetime, int, bool]] = {}
    for f in facts:
        choice = (f.at, f.seq, bool(f.number))
        key = (f.customer_id, f.text1)
        if key not in latest or latest[key][:2] < choice[:2]:
            latest[key] = choice
    granted: dict[int, set[str]] = {}
    for (customer_id, purpose), (_, _, grants) in latest.items():
        if grants:
            granted.setdefault(customer_id, set()).add(purpose)
    return granted


def _responses(facts: Any) -> dict[int, list[RecentResponse]]:
    responses: dict[int, list[RecentResponse]] = {}
    for f in sorted(facts, key=lambda f: (f.customer_id, f.at, f.seq)):
        responses.setdefault(f.customer_id, []).append(
            RecentResponse(f.text1, OfferResponseKind(f.text2), Channel(f.text3), f.at)
        )
    return responses
