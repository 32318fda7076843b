"""The next-best-action pipeline for a page of customers.

eligibility (catalogue rules, held products, customer status, consent) -> scoring (the
propensity model; segment popularity for customers without history or without profiling
consent) -> arbitration (expected value = probability x the product's expected annual
value; offers rejected recently are suppressed; at most ``MAX_OFFERS`` per contact) ->
explanation (readable reasons) and the model version that produced them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.models import Consent, Product
from c360.recommend.artefact import ArtefactStore, LatestModel
from c360.recommend.eligibility import EligibilityRules, load_rules
from c360.recommend.features import NO_ENQUIRY, Snapshot, read_snapshot
from c360.recommend.model import PropensityModel

MAX_OFFERS = 5
# A held product explains an offer when its holders take the offer up this much more often.
EXPLAINING_LIFT = 1.5
RECENT_ENQUIRY_MONTHS = 6

__all__ = ["MAX_OFFERS", "CatalogueProduct", "Offer", "Recommender", "arbitrate", "recommend"]


@dataclass(frozen=True)
class Offer:
    product_code: str
    product_name: str
    score: float  # chance of taking the product up within the model's window
    expected_value: Decimal  # score x the product's expected annual value
    reasons: tuple[str, ...]
    model_version: str | None


@dataclass(frozen=True)
class CatalogueProduct:
    name: str
    annual_value: Decimal


async def _read_products(connection: AsyncConnection) -> dict[str, CatalogueProduct]:
    rows = await connection.execute(
        select(Product.code, Product.name, Product.expected_annual_value, Product.is_active)
    )
    return {
        code: CatalogueProduct(name, value if value is not None else Decimal(0))
        for code, name, value, active in rows
        if active
    }


async def read_consents(
    connection: AsyncConnection, customer_ids: Sequence[int], at: dt.datetime
) -> dict[int, set[str]]:
    """Per customer: the purposes (marketing, profiling) whose latest choice by ``at`` grants."""
    rows = await connection.execute(
        select(Consent.customer_id, Consent.purpose, Consent.granted)
        .where(
            Consent.customer_id.in_(customer_ids),
            Consent.partner_id.is_(None),
            Consent.captured_at <= at,
        )
        .order_by(Consent.customer_id, Consent.captured_at, Consent.id)
    )
    latest: dict[tuple[int, str], bool] = {}
    for customer_id, purpose, granted in rows:
        latest[(customer_id, str(purpose))] = bool(granted)
    granted_purposes: dict[int, set[str]] = {}
    for (customer_id, purpose), granted in latest.items():
        if granted:
            granted_purposes.setdefault(customer_id, set()).add(purpose)
    return granted_purposes


def _with_article(name: str) -> str:
    lowered = name[0].lower() + name[1:]
    if lowered[0].isdigit():
        return f"a {lowered}"
    return f"{'an' if lowered[0] in 'aeiou' else 'a'} {lowered}"


def _name(name: str) -> str:
    return name[0].lower() + name[1:]


def explain(
    model: PropensityModel,
    snapshot: Snapshot,
    row: int,
    column: int,
    score: float,
    *,
    personalised: bool,
    names: Mapping[str, str],
) -> tuple[str, ...]:
    """Why this product for this customer, in words an adviser can repeat."""
    code = snapshot.product_codes[column]
    offered = _name(names.get(code, code))
    window = model.window_months
    if not personalised:
        segment = snapshot.segments[row].replace("_", " ")
        rate = model.segment_rates.get(snapshot.segments[row], model.base_rates)[column]
        return (f"popular with {segment} customers: {rate:.1%} take it up within {window} months",)
    reasons = []
    ratio = score / max(float(model.base_rates[column]), 1e-9)
    times = f"{ratio:.0f}x" if ratio >= 2 else f"{ratio:.1f}x"
    held = np.flatnonzero(snapshot.held[row])
    if len(held) and ratio >= EXPLAINING_LIFT:
        driver = held[np.argmax(model.lift[held, column])]
        if model.lift[driver, column] >= EXPLAINING_LIFT:
            holding = _with_article(names.get(snapshot.product_codes[driver], ""))
            reasons.append(
                f"holds {holding} but no {offered}; customers like this add it at "
                f"{times} the usual rate"
            )
    months = int(snapshot.enquiry_months[row, column])
    if months <= RECENT_ENQUIRY_MONTHS and months < NO_ENQUIRY:
        when = "this month" if months == 0 else f"{months} month{'s' if months > 1 else ''} ago"
        reasons.append(f"enquired about {offered} {when}")
    if not reasons and ratio >= 1:
        reasons.append(f"customers like this take up {offered} at {times} the usual rate")
    elif not reasons:
        reasons.append(
            f"a {score:.1%} chance of taking up {offered} within {window} months, "
            "and its value to the bank puts it among the best offers"
        )
    return tuple(reasons)


async def recommend(
    connection: AsyncConnection,
    *,
    customer_ids: Sequence[int],
    first: int,
    model: PropensityModel,
    model_version: str | None = None,
    as_of: dt.date | None = None,
    rejections: Mapping[int, Collection[str]] | None = None,
    rules: EligibilityRules | None = None,
) -> dict[int, list[Offer]]:
    """Up to ``first`` offers per customer (capped at ``MAX_OFFERS``), best expected value first.

    ``rejections`` maps a customer id to the product codes they rejected recently; those
    are suppressed (the store of offer responses belongs to the caller). Unknown ids get
    an empty list. Issues a fixed number of queries whatever the page size.
    """
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    rules = rules or load_rules()
    rejections = rejections or {}
    first = max(0, min(first, MAX_OFFERS))
    offers: dict[int, list[Offer]] = {customer_id: [] for customer_id in customer_ids}
    if not customer_ids or first == 0:
        return offers

    products = await _read_products(connection)
    snapshot = await read_snapshot(
        connection, as_of, customer_ids=list(customer_ids), product_codes=model.product_codes
    )
    consents = await read_consents(
        connection, list(customer_ids), dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    )
    offers.update(
        arbitrate(
            snapshot,
            model,
            first=first,
            products=products,
            consents=consents,
            rejections=rejections,
            rules=rules,
            model_version=model_version,
        )
    )
    return offers


def arbitrate(
    snapshot: Snapshot,
    model: PropensityModel,
    *,
    first: int,
    products: Mapping[str, CatalogueProduct],
    consents: Mapping[int, Collection[str]],
    rejections: Mapping[int, Collection[str]],
    rules: EligibilityRules,
    model_version: str | None,
) -> dict[int, list[Offer]]:
    """Eligibility, scoring, arbitration and explanation for customers already read."""
    first = max(0, min(first, MAX_OFFERS))
    ids = snapshot.customer_ids.tolist()
    marketing = np.array(["marketing" in consents.get(c, ()) for c in ids], dtype=bool)
    personalised = np.array(["profiling" in consents.get(c, ()) for c in ids], dtype=bool)
    personalised &= snapshot.has_history()

    scores = np.where(personalised[:, None], model.predict(snapshot), model.popularity(snapshot))
    allowed = rules.mask(snapshot) & marketing[:, None]
    allowed &= np.array([code in products for code in model.product_codes])[None, :]
    for i, customer_id in enumerate(ids):
        for code in rejections.get(customer_id, ()):
            if code in model.product_codes:
                allowed[i, model.product_codes.index(code)] = False

    values = np.array(
        [float(products[c].annual_value) if c in products else 0.0 for c in model.product_codes]
    )
    expected = np.where(allowed, scores * values, -1.0)
    names = {code: product.name for code, product in products.items()}
    offers: dict[int, list[Offer]] = {}
    for i, customer_id in enumerate(ids):
        ranked = [j for j in np.argsort(-expected[i], kind="stable")[:first] if allowed[i, j]]
        offers[customer_id] = [
            _offer(
                model,
                snapshot,
                i,
                j,
                float(scores[i, j]),
                products,
                names,
                personalised=bool(personalised[i]),
                model_version=model_version,
            )
            for j in ranked
        ]
    return offers


def _offer(
    model: PropensityModel,
    snapshot: Snapshot,
    row: int,
    column: int,
    score: float,
    products: Mapping[str, CatalogueProduct],
    names: Mapping[str, str],
    *,
    personalised: bool,
    model_version: str | None,
) -> Offer:
    code = model.product_codes[column]
    product = products[code]
    return Offer(
        product_code=code,
        product_name=product.name,
        score=score,
        expected_value=(Decimal(repr(score)) * product.annual_value).quantize(Decimal("0.01")),
        reasons=explain(
            model, snapshot, row, column, score, personalised=personalised, names=names
        ),
        model_version=model_version,
    )


class Recommender:
    """The newest model artefact plus the pipeline; what the GraphQL field calls."""

    def __init__(self, latest: LatestModel) -> None:
        self.latest = latest

    @classmethod
    def from_model_dir(
        cls, directory: Path | None = None, *, check_seconds: float = 5.0
    ) -> Recommender:
        """Serve the newest artefact under ``directory`` (default ``$C360_MODEL_DIR``, ./models)."""
        return cls(LatestModel(ArtefactStore(directory), check_seconds=check_seconds))

    async def recommend(
        self,
        connection: AsyncConnection,
        *,
        customer_ids: Sequence[int],
        first: int = 3,
        rejections: Mapping[int, Collection[str]] | None = None,
        as_of: dt.date | None = None,
    ) -> dict[int, list[Offer]]:
        """Offers per customer id; empty lists while no model has been trained."""
        model = self.latest.get()
        if model is None:
            return {customer_id: [] for customer_id in customer_ids}
        return await recommend(
            connection,
            customer_ids=customer_ids,
            first=first,
            model=model,
            model_version=self.latest.version,
            as_of=as_of,
            rejections=rejections,
        )
