"""The next-best-action pipeline for a page of customers.

eligibility (catalogue rules, held products, customer status, consent) -> scoring (the
propensity model; segment popularity for customers without history or without profiling
consent) -> suppression (recent responses, ``c360.recommend.suppression``) ->
arbitration (``rank``) -> explanation (``c360.recommend.reasons``) and the model version.

Arbitration weighs value, but only among likely offers. Raw expected value (probability x
the product's expected annual value) lets a product worth 50x more win at a 50x smaller
chance: a 0.2% mortgage would beat a 10% home insurance, and the teller would be told to
make an offer that almost never lands. So, per customer:

1. offers below ``MIN_PROBABILITY`` are not made at all (noise, not a recommendation);
2. offers at least ``LIKELY_SHARE`` as likely as the customer's most likely offer are the
   shortlist, ordered by expected value (ties by probability);
3. the other offers follow, most likely first;
4. at most ``first`` (capped at ``MAX_OFFERS``, and at what the cap per contact leaves).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.customers.models import Channel
from c360.models import Consent, Product
from c360.recommend.artefact import ArtefactStore, LatestModel
from c360.recommend.eligibility import EligibilityRules, load_rules
from c360.recommend.features import Snapshot
from c360.recommend.model import PropensityModel
from c360.recommend.page import read_page
from c360.recommend.reasons import explain

MAX_OFFERS = 5
# Below 1 in 1,000 within the window an offer is noise: the teller would be wasting a turn.
MIN_PROBABILITY = 0.001
# Value only reorders offers at least half as likely as the customer's most likely one.
LIKELY_SHARE = 0.5

__all__ = [
    "LIKELY_SHARE",
    "MAX_OFFERS",
    "MIN_PROBABILITY",
    "CatalogueProduct",
    "Offer",
    "Recommender",
    "arbitrate",
    "rank",
    "read_products",
    "recommend",
]


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


async def read_products(connection: AsyncConnection) -> dict[str, CatalogueProduct]:
    """The active catalogue: code -> name and expected annual value."""
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


async def recommend(
    connection: AsyncConnection,
    *,
    customer_ids: Sequence[int],
    first: int,
    model: PropensityModel,
    model_version: str | None = None,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
    channel: Channel | None = None,
    rules: EligibilityRules | None = None,
    products: Mapping[str, CatalogueProduct] | None = None,
) -> dict[int, list[Offer]]:
    """Up to ``first`` offers per customer (capped at ``MAX_OFFERS``), ranked by ``rank``.

    ``now`` (default: the end of ``as_of``, or the present) dates the customers' recent
    responses for suppression and the cap per contact on ``channel`` (all channels when
    None). ``products``, the active catalogue, is read when not given. Unknown ids get an
    empty list. Reads the page in one statement (``c360.recommend.page``), plus one for
    the catalogue when not given, whatever the page size.
    """
    if now is None:
        now = (
            dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
            if as_of is not None
            else dt.datetime.now(dt.UTC)
        )
    as_of = as_of or now.date()
    rules = rules or load_rules()
    first = max(0, min(first, MAX_OFFERS))
    offers: dict[int, list[Offer]] = {customer_id: [] for customer_id in customer_ids}
    if not customer_ids or first == 0:
        return offers

    if products is None:
        products = await read_products(connection)
    policy = rules.suppression
    page = await read_page(
        connection,
        customer_ids=list(customer_ids),
        as_of=as_of,
        product_codes=model.product_codes,
        consents_at=dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC),
        responses_since=now - dt.timedelta(days=policy.lookback_days),
    )
    consents, responses = page.consents, page.responses
    # Nothing is offered without consent to marketing (``arbitrate``), so only the
    # customers who gave it are turned into features and scored: most of a teller's
    # customers have not, and their offers are then no more than the page's one read.
    marketing = {c for c in customer_ids if "marketing" in consents.get(c, ())}
    if not marketing:
        return offers
    snapshot = page.snapshot_of(marketing)
    offers.update(
        arbitrate(
            snapshot,
            model,
            first=first,
            products=products,
            consents=consents,
            suppressed={c: policy.suppressed(r, now) for c, r in responses.items()},
            allowance={c: policy.allowance(r, now, channel) for c, r in responses.items()},
            rules=rules,
            model_version=model_version,
        )
    )
    return offers


def rank(scores: np.ndarray, values: np.ndarray, allowed: np.ndarray) -> list[int]:
    """One customer's offer columns, best first, by the rule in the module docstring."""
    usable = allowed & (scores >= MIN_PROBABILITY)
    if not usable.any():
        return []
    likely = usable & (scores >= LIKELY_SHARE * scores[usable].max())
    columns = np.arange(len(scores))
    # lexsort's last key is the primary one: shortlist first, then value, then probability.
    shortlist = columns[likely][np.lexsort((-scores[likely], -(scores * values)[likely]))]
    rest = columns[usable & ~likely][np.argsort(-scores[usable & ~likely], kind="stable")]
    return [*shortlist.tolist(), *rest.tolist()]


def arbitrate(
    snapshot: Snapshot,
    model: PropensityModel,
    *,
    first: int,
    products: Mapping[str, CatalogueProduct],
    consents: Mapping[int, Collection[str]],
    suppressed: Mapping[int, Collection[str]],
    rules: EligibilityRules,
    model_version: str | None,
    allowance: Mapping[int, int] | None = None,
) -> dict[int, list[Offer]]:
    """Eligibility, scoring, arbitration and explanation for customers already read.

    ``suppressed``: product codes not to offer, per customer; ``allowance``: how many
    offers the cap per contact still allows, per customer (absent: no limit).
    """
    first = max(0, min(first, MAX_OFFERS))
    allowance = allowance or {}
    ids = snapshot.customer_ids.tolist()
    marketing = np.array(["marketing" in consents.get(c, ()) for c in ids], dtype=bool)
    personalised = np.array(["profiling" in consents.get(c, ()) for c in ids], dtype=bool)
    personalised &= snapshot.has_history()

    allowed = rules.mask(snapshot) & marketing[:, None]
    allowed &= np.array([code in products for code in model.product_codes])[None, :]
    column = {code: j for j, code in enumerate(model.product_codes)}
    for i, customer_id in enumerate(ids):
        for code in suppressed.get(customer_id, ()):
            if code in column:
                allowed[i, column[code]] = False

    # Only allowed offers are ranked, so only customers with one need the model.
    scores = model.popularity(snapshot)
    scored = personalised & allowed.any(axis=1)
    if scored.any():
        scores[scored] = model.predict(snapshot, rows=scored)

    values = np.array(
        [float(products[c].annual_value) if c in products else 0.0 for c in model.product_codes]
    )
    names = {code: product.name for code, product in products.items()}
    offers: dict[int, list[Offer]] = {}
    for i, customer_id in enumerate(ids):
        limit = min(first, allowance.get(customer_id, first))
        ranked = rank(scores[i], values, allowed[i])[:limit]
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
    """The newest model artefact plus the pipeline; what the GraphQL field calls.

    Staleness: the artefact directory is checked every ``check_seconds`` (5 s) and a new
    version is loaded by the first request after it appears; the catalogue (names,
    values, which products are active) is reread every ``catalogue_seconds`` (60 s), so
    a deactivated product may still be offered for up to a minute. Which products can
    be scored at all is the model's list: a new product waits for a retrain. Customer
    data, consents and responses are read fresh for every page.
    """

    def __init__(self, latest: LatestModel, *, catalogue_seconds: float = 60.0) -> None:
        self.latest = latest
        # The catalogue changes by release, not by request: read it at most once a minute.
        self.catalogue_seconds = catalogue_seconds
        self._catalogue: Mapping[str, CatalogueProduct] | None = None
        self._catalogue_read_at = -float("inf")

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
        channel: Channel | None = None,
        as_of: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> dict[int, list[Offer]]:
        """Offers per customer id; empty lists while no model has been trained."""
        model = self.latest.get()
        if model is None:
            return {customer_id: [] for customer_id in customer_ids}
        if time.monotonic() - self._catalogue_read_at >= self.catalogue_seconds:
            self._catalogue = await read_products(connection)
            self._catalogue_read_at = time.monotonic()
        return await recommend(
            connection,
            customer_ids=customer_ids,
            first=first,
            model=model,
            model_version=self.latest.version,
            as_of=as_of,
            now=now,
            channel=channel,
            products=self._catalogue,
        )
