"""Baselines the model has to beat: popularity and co-occurrence, learnt from the same history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c360.recommend.features import Snapshot
from c360.recommend.model import TrainingData


@dataclass(frozen=True)
class Popularity:
    """Ranks products by how often non-holders acquired them in the training windows."""

    rates: np.ndarray

    @classmethod
    def fit(cls, data: TrainingData) -> Popularity:
        labels = np.vstack(data.labels)
        not_held = ~np.vstack([s.held for s in data.snapshots])
        return cls(labels.sum(axis=0) / np.maximum(not_held.sum(axis=0), 1))

    def scores(self, snapshot: Snapshot) -> np.ndarray:
        scores = np.tile(self.rates, (len(snapshot.customer_ids), 1))
        scores[snapshot.held] = 0.0
        return scores


@dataclass(frozen=True)
class CoOccurrence:
    """Scores a product by how often holders of each held product acquired it, averaged.

    ``rates[i, j]``: the share of holders of ``i`` (not holding ``j``) who acquired ``j``.
    Customers holding nothing get popularity.
    """

    rates: np.ndarray
    popularity: np.ndarray

    @classmethod
    def fit(cls, data: TrainingData) -> CoOccurrence:
        labels = np.vstack(data.labels).astype(np.float64)
        held = np.vstack([s.held for s in data.snapshots]).astype(np.float64)
        acquired = held.T @ labels
        at_risk = held.T @ (1.0 - held)
        return cls(acquired / np.maximum(at_risk, 1.0), Popularity.fit(data).rates)

    def scores(self, snapshot: Snapshot) -> np.ndarray:
        held = snapshot.held.astype(np.float64)
        count = held.sum(axis=1, keepdims=True)
        scores = np.where(count > 0, held @ self.rates / np.maximum(count, 1.0), self.popularity)
        scores[snapshot.held] = 0.0
        return scores
