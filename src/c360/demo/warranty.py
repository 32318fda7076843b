"""Warranty policies for every retail purchase, and the claims some of them see.

Every purchase carries the manufacturer's 24-month warranty; some buyers extend it for
one to three more years. ``price_paid`` is what the customer paid for that policy's
subject: the goods for a manufacturer warranty, the extension for an extended one;
``coverage_value`` is the goods' price either way.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from c360.demo.catalogue import Catalogue, Texts
from c360.demo.holdings import Holdings
from c360.demo.people import People
from c360.demo.propensity_rules import PRODUCT_CODES
from c360.demo.streams import choose, stream
from c360.demo.tables import TableData
from c360.demo.timeline import Timeline, add_months, random_instants_between

_DAY = np.timedelta64(1, "D")
_CLAIM_SHARE = {"manufacturer": 0.06, "extended": 0.10}
_DECISIONS = ("repair", "replace", "refund", "rejected")
_DECISION_WEIGHTS = (0.5, 0.2, 0.1, 0.2)
_SERIAL_ALPHABET = np.array(list(string.ascii_uppercase + string.digits))


@dataclass(frozen=True)
class Purchases:
    """Retail purchases, one per retail holding, in holding order."""

    holding: np.ndarray  # index into Holdings
    price_eur: np.ndarray
    manufacturer_policy: np.ndarray  # index of the purchase's manufacturer policy


@dataclass(frozen=True)
class Policies:
    customer: np.ndarray
    holding: np.ndarray
    coverage_end: np.ndarray
    created_at: np.ndarray


def _serials(rng: np.random.Generator, manufacturers: list[str], purchase: np.ndarray) -> list[str]:
    years = (purchase.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    tails = _SERIAL_ALPHABET[rng.integers(0, len(_SERIAL_ALPHABET), (len(manufacturers), 9))]
    return [
        f"{maker[:2].upper()}{year:02d}{''.join(tail)}"
        for maker, year, tail in zip(manufacturers, years.tolist(), tails.tolist(), strict=True)
    ]


def generate_warranties(
    catalogue: Catalogue,
    texts: Texts,
    people: People,
    holdings: Holdings,
    timeline: Timeline,
    *,
    seed: int,
) -> tuple[TableData, TableData, Purchases, Policies]:
    rng = stream(seed, "warranty")
    retail = catalogue.retail
    codes = np.array(PRODUCT_CODES, dtype=object)
    is_retail = np.array([catalogue.product(c).category == "retail_goods" for c in PRODUCT_CODES])
    bought = np.flatnonzero(is_retail[holdings.product])
    count = len(bought)
    product = holdings.product[bought]
    customer = holdings.customer[bought]
    purchase = holdings.opened_date[bought]

    models = np.empty(count, dtype=object)
    makers = np.empty(count, dtype=object)
    price_eur = np.zeros(count)
    for code in retail.models:
        rows = np.flatnonzero(codes[product] == code)
        options = retail.models[code]
        picked = rng.integers(0, len(options), len(rows))
        models[rows] = [options[i].model for i in picked]
        makers[rows] = [options[i].manufacturer for i in picked]
        price_eur[rows] = np.array([options[i].price_eur for i in picked]) * rng.uniform(
            0.88, 1.02, len(rows)
        )
    eur_rate = {c.code: c.eur_rate for c in catalogue.countries}
    currency_of = {c.code: c.currency for c in catalogue.countries}
    countries = people.country[customer]
    # Shop prices end in .99: whole units of the local currency, less a cent.
    local = np.maximum(np.rint(price_eur * np.array([eur_rate[c] for c in countries])), 2)
    price_cents = (local * 100 - 1).astype(np.int64)

    extended = rng.random(count) < retail.extended_share
    extra_months = np.array(retail.extended_warranty_months)[
        rng.integers(0, len(retail.extended_warranty_months), count)
    ]
    # Each purchase's manufacturer policy, followed by its extension where bought.
    source = np.repeat(np.arange(count), 1 + extended)
    is_extension = np.zeros(len(source), dtype=bool)
    is_extension[np.cumsum(1 + extended) - 1] = extended
    months = retail.manufacturer_warranty_months
    start = np.where(is_extension, add_months(purchase[source], months), purchase[source])
    end = (
        np.where(
            is_extension,
            add_months(purchase[source], months + extra_months[source]),
            add_months(purchase[source], months),
        )
        - _DAY
    )
    as_of_day = np.datetime64(timeline.as_of.isoformat(), "D")
    cancelled = is_extension & (rng.random(len(source)) < 0.03)
    status = np.select([cancelled, end >= as_of_day], ["cancelled", "active"], "expired").astype(
        object
    )
    extension_price = np.rint(price_cents[source] * retail.extended_price_share / 100) * 100 - 1
    policy_ids = np.arange(1, len(source) + 1)
    created_at = np.where(
        is_extension,
        holdings.created_at[bought][source] + np.timedelta64(5, "m"),
        holdings.created_at[bought][source],
    )
    policies = TableData(
        "warranty_policy",
        {
            "id": policy_ids,
            "customer_id": customer[source] + 1,
            "product_id": product[source] + 1,
            "product_model": models[source],
            "manufacturer": makers[source],
            "serial_number": np.array(_serials(rng, makers.tolist(), purchase), dtype=object)[
                source
            ],
            "purchase_date": purchase[source],
            "coverage_start_date": start,
            "coverage_end_date": end,
            "kind": np.where(is_extension, "extended", "manufacturer").astype(object),
            "price_paid": np.where(
                is_extension, extension_price.astype(np.int64), price_cents[source]
            ),
            "coverage_value": price_cents[source],
            "currency": [currency_of[c] for c in countries[source].tolist()],
            "status": status,
            "created_at": created_at,
        },
    )
    claims = _claims(rng, texts, codes[product[source]], policies, timeline)
    first_policy = np.flatnonzero(~is_extension)
    return (
        policies,
        claims,
        Purchases(holding=bought, price_eur=price_eur, manufacturer_policy=first_policy),
        Policies(
            customer=customer[source],
            holding=bought[source],
            coverage_end=end,
            created_at=created_at,
        ),
    )


def _claims(
    rng: np.random.Generator,
    texts: Texts,
    goods: np.ndarray,
    policies: TableData,
    timeline: Timeline,
) -> TableData:
    columns = policies.columns
    as_of = timeline.as_of_instant
    start = columns["coverage_start_date"].astype("datetime64[us]")
    end = (columns["coverage_end_date"] + _DAY).astype("datetime64[us]")
    kind = columns["kind"]
    share = np.where(kind == "extended", _CLAIM_SHARE["extended"], _CLAIM_SHARE["manufacturer"])
    eligible = (start < as_of - np.timedelta64(1, "D")) & (columns["status"] != "cancelled")
    rows = np.flatnonzero(eligible & (rng.random(len(kind)) < share))
    reported = random_instants_between(rng, start[rows], np.minimum(end[rows], as_of))
    age_days = (as_of - reported) / np.timedelta64(1, "D")
    resolved = reported + (rng.uniform(2, 25, len(rows)) * 86_400).astype("timedelta64[s]")
    decided = (resolved < as_of) & ((age_days >= 30) | (rng.random(len(rows)) < 0.5))
    decision = np.array(_DECISIONS, dtype=object)[choose(rng, _DECISION_WEIGHTS, len(rows))]
    status = np.where(decided, "decided", np.where(age_days < 10, "submitted", "in_review")).astype(
        object
    )
    picks = rng.random(len(rows)).tolist()
    defects = [
        texts.defects[g][int(pick * len(texts.defects[g]))]
        for g, pick in zip(goods[rows].tolist(), picks, strict=True)
    ]
    refund = decided & (decision == "refund")
    return TableData(
        "warranty_claim",
        {
            "id": np.arange(1, len(rows) + 1),
            "policy_id": columns["id"][rows],
            "customer_id": columns["customer_id"][rows],
            "defect_description": defects,
            "reported_at": reported,
            "status": status,
            "decision": np.where(decided, decision, None),
            "resolved_at": np.where(decided, resolved, np.datetime64("NaT")),
            "amount": np.ma.masked_array(columns["coverage_value"][rows], mask=~refund),
        },
    )
