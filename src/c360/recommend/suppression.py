"""Arbitration's memory of earlier offers: what not to offer again, and how many to offer.

Rules (numbers from ``[suppression]`` in ``db/recommend/eligibility.toml``):

- a product the customer REJECTED within ``rejected_days`` is not offered;
- a product the customer ACCEPTED within ``accepted_days`` is not offered either: the
  holding may not be booked yet, and offering it again looks careless;
- a product IGNORED ``ignored_limit`` times within ``contact_period_days`` is rested;
- the cap per contact: at most ``max_offers_per_channel`` offers are put to a customer on
  one channel within ``contact_period_days``. Every recorded response (whatever it was)
  counts as one offer made. Asked for a channel, the pipeline returns at most what is left
  of that channel's allowance; asked without one, what is left after the responses on
  all channels together, so a caller that does not say where it will show the offers
  cannot get round the cap.

The responses come from ``read_recent_responses``: one statement for a page of customers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Channel
from c360.holdings.models import Product
from c360.recommend.models import OfferResponse, OfferResponseKind

__all__ = ["RecentResponse", "SuppressionPolicy", "read_recent_responses"]


@dataclass(frozen=True)
class RecentResponse:
    product_code: str
    response: OfferResponseKind
    channel: Channel
    responded_at: dt.datetime


@dataclass(frozen=True)
class SuppressionPolicy:
    rejected_days: int = 90
    accepted_days: int = 30
    ignored_limit: int = 3
    contact_period_days: int = 30
    max_offers_per_channel: int = 6

    @classmethod
    def from_document(cls, document: Mapping[str, object]) -> SuppressionPolicy:
        raw = dict(document)  # type: ignore[call-overload]
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown suppression settings: {sorted(unknown)}")
        for name, value in raw.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"suppression setting {name} must be a whole number >= 0")
        return cls(**raw)

    @property
    def lookback_days(self) -> int:
        """How far back the responses that matter go."""
        return max(self.rejected_days, self.accepted_days, self.contact_period_days)

    def suppressed(self, responses: Sequence[RecentResponse], now: dt.datetime) -> set[str]:
        """The product codes not to offer this customer now."""
        rests = {
            OfferResponseKind.REJECTED: dt.timedelta(days=self.rejected_days),
            OfferResponseKind.ACCEPTED: dt.timedelta(days=self.accepted_days),
        }
        period = dt.timedelta(days=self.contact_period_days)
        codes: set[str] = set()
        ignored: Counter[str] = Counter()
        for r in responses:
            age = now - r.responded_at
            if r.response in rests and age <= rests[r.response]:
                codes.add(r.product_code)
            elif r.response is OfferResponseKind.IGNORED and age <= period:
                ignored[r.product_code] += 1
        codes.update(code for code, times in ignored.items() if times >= self.ignored_limit)
        return codes

    def allowance(
        self, responses: Sequence[RecentResponse], now: dt.datetime, channel: Channel | None
    ) -> int:
        """How many more offers may be made to this customer (on ``channel``) in this period."""
        period = dt.timedelta(days=self.contact_period_days)
        made = sum(
            1
            for r in responses
            if now - r.responded_at <= period and (channel is None or r.channel == channel)
        )
        return max(0, self.max_offers_per_channel - made)


async def read_recent_responses(
    connection: AsyncConnection, customer_ids: Sequence[int], since: dt.datetime
) -> dict[int, list[RecentResponse]]:
    """Each customer's responses since ``since``, oldest first, in one statement."""
    rows = await connection.execute(
        select(
            OfferResponse.customer_id,
            Product.code,
            OfferResponse.response,
            OfferResponse.channel,
            OfferResponse.responded_at,
        )
        .join(Product, Product.id == OfferResponse.product_id)
        .where(OfferResponse.customer_id.in_(customer_ids), OfferResponse.responded_at >= since)
        .order_by(OfferResponse.customer_id, OfferResponse.responded_at, OfferResponse.id)
    )
    responses: dict[int, list[RecentResponse]] = {}
    for customer_id, code, response, channel, responded_at in rows:
        responses.setdefault(customer_id, []).append(
            RecentResponse(code, OfferResponseKind(response), Channel(channel), responded_at)
        )
    return responses
