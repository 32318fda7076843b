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
class _RuleTable:
    """The rules of a product list as arrays over its columns, so that ``mask`` costs the
    same few array operations for a page of one customer or of many."""

    rules: tuple[ProductRule, ...]
    min_age: np.ndarray  # -inf where there is no minimum
    max_age: np.ndarray  # +inf where there is no maximum
    has_requirement: np.ndarray
    requires: np.ndarray  # (products, products): requires[i, j]: holding i satisfies j
    excludes: np.ndarray  # (products, products): excludes[i, j]: holding i rules j out
    _parties: dict[str, np.ndarray] = field(default_factory=dict)
    _bands: dict[str | None, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, rules: Sequence[ProductRule], codes: Sequence[str]) -> _RuleTable:
        index = {code: j for j, code in enumerate(codes)}
        n = len(codes)
        requires = np.zeros((n, n), dtype=bool)
        excludes = np.zeros((n, n), dtype=bool)
        for j, rule in enumerate(rules):
            requires[[index[c] for c in rule.requires_any if c in index], j] = True
            excludes[[index[c] for c in rule.excluded_by if c in index], j] = True
        return cls(
            rules=tuple(rules),
            min_age=np.array([r.min_age if r.min_age is not None else -np.inf for r in rules]),
            max_age=np.array([r.max_age if r.max_age is not None else np.inf for r in rules]),
            has_requirement=np.array([bool(r.requires_any) for r in rules], dtype=bool),
            requires=requires,
            excludes=excludes,
        )

    def parties(self, party: str) -> np.ndarray:
        if party not in self._parties:
            self._parties[party] = np.array([party in r.parties for r in self.rules], dtype=bool)
        return self._parties[party]

    def bands(self, band: str | None) -> np.ndarray:
        if band not in self._bands:
            self._bands[band] = np.array(
                [r.income_bands is None or band in r.income_bands for r in self.rules],
                dtype=bool,
            )
        return self._bands[band]


@dataclass(frozen=True)
class EligibilityRules:
    products: Mapping[str, ProductRule] = field(default_factory=dict)
    suppression: SuppressionPolicy = field(default_factory=SuppressionPolicy)
    _tables: dict[tuple[str, ...], _RuleTable] = field(
        default_factory=dict, compare=False, repr=False
    )

    def rule(self, code: str) -> ProductRule:
        return self.products.get(code, ProductRule())

    def mask(self, snapshot: Snapshot) -> np.ndarray:
        """``(customers, products)``: True where the product may be offered."""
        codes = snapshot.product_codes
        if codes not in self._tables:
            self._tables[codes] = _RuleTable.build([self.rule(c) for c in codes], codes)
        table = self._tables[codes]
        n = len(snapshot.party_types)
        held = snapshot.held
        ages = snapshot.column("age")[:, None]
        persons = np.array([p == "person" for p in snapshot.party_types], dtype=bool)[:, None]
        open_ = np.array([s != "closed" for s in snapshot.statuses], dtype=bool)[:, None]
        shape = (n, len(codes))
        allowed = ~held & open_
        allowed &= np.array([table.parties(p) for p in snapshot.party_types]).reshape(shape)
        allowed &= ~persons | ((ages >= table.min_age) & (ages <= table.max_age))
        in_band = np.array([table.bands(b) for b in snapshot.income_bands]).reshape(shape)
        allowed &= ~persons | in_band
        held_any = held.astype(np.int32)
        allowed &= ~table.has_requirement | (held_any @ table.requires.astype(np.int32) > 0)
        allowed &= ~(held_any @ table.excludes.astype(np.int32) > 0)
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
