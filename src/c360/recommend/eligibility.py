"""Eligibility: which products a customer may be offered, from `db/recommend/eligibility.toml`.

Rules are pure functions of a ``Snapshot`` row so that the service, the tests and any
batch job apply the same ones. Held products are never eligible.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from c360.recommend.features import Snapshot
from c360.recommend.suppression import SuppressionPolicy
from c360.resources import db_dir


@dataclass(frozen=True)
class ProductRule:
    parties: frozenset[str] = frozenset({"person", "organisation"})
    min_age: int | None = None
    max_age: int | None = None
    income_bands: frozenset[str] | None = None
    requires_any: tuple[str, ...] = ()
    excluded_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class EligibilityRules:
    products: Mapping[str, ProductRule] = field(default_factory=dict)
    suppression: SuppressionPolicy = field(default_factory=SuppressionPolicy)

    def rule(self, code: str) -> ProductRule:
        return self.products.get(code, ProductRule())

    def mask(self, snapshot: Snapshot) -> np.ndarray:
        """``(customers, products)``: True where the product may be offered."""
        codes = snapshot.product_codes
        index = {code: j for j, code in enumerate(codes)}
        held = snapshot.held
        ages = snapshot.column("age")
        persons = np.array([p == "person" for p in snapshot.party_types])
        allowed = ~held & np.array([s != "closed" for s in snapshot.statuses])[:, None]
        for j, code in enumerate(codes):
            rule = self.rule(code)
            ok = np.array([p in rule.parties for p in snapshot.party_types], dtype=bool)
            if rule.min_age is not None:
                ok &= ~persons | (ages >= rule.min_age)
            if rule.max_age is not None:
                ok &= ~persons | (ages <= rule.max_age)
            if rule.income_bands is not None:
                in_band = np.array([b in rule.income_bands for b in snapshot.income_bands])
                ok &= ~persons | in_band
            if rule.requires_any:
                columns = [index[c] for c in rule.requires_any if c in index]
                ok &= held[:, columns].any(axis=1) if columns else False
            excluding = [index[c] for c in rule.excluded_by if c in index]
            if excluding:
                ok &= ~held[:, excluding].any(axis=1)
            allowed[:, j] &= ok
        return allowed


def parse_rules(
    document: Mapping[str, object], known: Sequence[str] | None = None
) -> EligibilityRules:
    products: dict[str, ProductRule] = {}
    for code, raw in dict(document.get("products", {})).items():  # type: ignore[call-overload]
        if known is not None and code not in known:
            raise ValueError(f"eligibility rule for unknown product {code!r}")
        bands = raw.get("income_bands")
        products[code] = ProductRule(
            parties=frozenset(raw.get("parties", ("person", "organisation"))),
            min_age=raw.get("min_age"),
            max_age=raw.get("max_age"),
            income_bands=frozenset(bands) if bands is not None else None,
            requires_any=tuple(raw.get("requires_any", ())),
            excluded_by=tuple(raw.get("excluded_by", ())),
        )
    suppression = SuppressionPolicy.from_document(
        dict(document.get("suppression", {}))  # type: ignore[call-overload]
    )
    return EligibilityRules(products, suppression)


@cache
def load_rules(path: Path | None = None) -> EligibilityRules:
    """The rules in ``db/recommend/eligibility.toml`` (or ``path``)."""
    source = path or db_dir() / "recommend" / "eligibility.toml"
    return parse_rules(tomllib.loads(source.read_text()))
