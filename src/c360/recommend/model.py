"""The propensity model: one LightGBM binary booster per product (one-vs-rest).

Training rows are customer snapshots at several monthly cutoffs; a product's label is
whether the customer acquired it in the ``window_months`` after the cutoff. A product is
only learnt from customers who did not hold it on the cutoff, and a held product always
scores 0. Besides the boosters the model keeps what the pipeline needs to explain and
to fall back: each product's base rate, its rate per segment, and its rate among
holders of every other product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from c360.recommend.features import (
    SEGMENTS,
    Snapshot,
    add_months,
    feature_names,
    label_matrix,
    read_acquisitions,
    read_snapshot,
)

LGB_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 2,
    "verbose": -1,
    "seed": 7,
}
BOOST_ROUNDS = 200
# Up to this many rows (a request's page) LightGBM predicts on one thread: OpenMP's
# start-up and spinning cost 5-20 ms per call on a busy machine against 0.015 ms serially
# (bench/recommend_speed.py), and a server scales by processes, not threads per request.
SERIAL_PREDICT_ROWS = 1000
MIN_POSITIVES = 20


@dataclass
class TrainingData:
    snapshots: list[Snapshot]
    labels: list[np.ndarray]

    @property
    def product_codes(self) -> tuple[str, ...]:
        return self.snapshots[0].product_codes


async def read_training_data(
    connection: AsyncConnection, cutoffs: Sequence[dt.date], window_months: int
) -> TrainingData:
    snapshots, labels = [], []
    for cutoff in cutoffs:
        snapshot = await read_snapshot(connection, cutoff)
        acquired = await read_acquisitions(connection, cutoff, add_months(cutoff, window_months))
        snapshots.append(snapshot)
        labels.append(label_matrix(snapshot, acquired))
    return TrainingData(snapshots, labels)


def training_cutoffs(last: dt.date, count: int) -> list[dt.date]:
    """``count`` monthly cutoffs ending with ``last``'s month, oldest first."""
    return [add_months(last, -k) for k in range(count - 1, -1, -1)]


@dataclass
class PropensityModel:
    product_codes: tuple[str, ...]
    interest_vocabulary: tuple[str, ...]
    window_months: int
    boosters: dict[str, lgb.Booster | None]
    base_rates: np.ndarray  # per product, among non-holders
    segment_rates: dict[str, np.ndarray]
    # lift[i, j]: how much more often holders of product i acquire product j than everyone
    lift: np.ndarray
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return feature_names(self.product_codes, self.interest_vocabulary)

    def predict(self, snapshot: Snapshot) -> np.ndarray:
        """Probability of acquiring each product in the window: ``(customers, products)``."""
        if snapshot.product_codes != self.product_codes:
            raise ValueError("the snapshot's products differ from the model's")
        features = snapshot.matrix(self.interest_vocabulary)
        threads = 1 if len(features) <= SERIAL_PREDICT_ROWS else 2
        scores = np.empty(snapshot.held_months.shape, dtype=np.float64)
        for j, code in enumerate(self.product_codes):
            booster = self.boosters[code]
            if booster is None or len(features) == 0:
                scores[:, j] = self.base_rates[j]
            else:
                scores[:, j] = booster.predict(features, num_threads=threads)
        scores[snapshot.held] = 0.0
        return scores

    def popularity(self, snapshot: Snapshot) -> np.ndarray:
        """Each customer's segment's acquisition rates; held products score 0."""
        scores = np.array(
            [self.segment_rates.get(segment, self.base_rates) for segment in snapshot.segments],
            dtype=np.float64,
        ).reshape(snapshot.held_months.shape)
        scores[snapshot.held] = 0.0
        return scores


def _rates(labels: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    return (labels.sum(axis=0) + 1) / (eligible.sum(axis=0) + 100)


def train(data: TrainingData, *, rounds: int = BOOST_ROUNDS) -> PropensityModel:
    codes = data.product_codes
    vocabulary = tuple(sorted({tag for s in data.snapshots for row in s.interests for tag in row}))
    features = np.vstack([s.matrix(vocabulary) for s in data.snapshots])
    labels = np.vstack(data.labels)
    held = np.vstack([s.held for s in data.snapshots])
    segments = np.array([seg for s in data.snapshots for seg in s.segments])
    not_held = ~held

    boosters: dict[str, lgb.Booster | None] = {}
    for j, code in enumerate(codes):
        rows = not_held[:, j]
        y = labels[rows, j]
        if y.sum() < MIN_POSITIVES:
            boosters[code] = None
            continue
        dataset = lgb.Dataset(
            features[rows],
            label=y.astype(np.float32),
            free_raw_data=True,
            params={"verbose": -1},
        )
        boosters[code] = lgb.train(LGB_PARAMS, dataset, num_boost_round=rounds)

    base_rates = _rates(labels, not_held)
    segment_rates = {
        segment: _rates(labels[segments == segment], not_held[segments == segment])
        for segment in SEGMENTS
        if (segments == segment).any()
    }
    lift = np.ones((len(codes), len(codes)))
    for i in range(len(codes)):
        holders = held[:, i]
        if holders.sum() >= MIN_POSITIVES:
            lift[i] = _rates(labels[holders], not_held[holders]) / base_rates
    return PropensityModel(
        product_codes=codes,
        interest_vocabulary=vocabulary,
        window_months=0,
        boosters=boosters,
        base_rates=base_rates,
        segment_rates=segment_rates,
        lift=lift,
        metadata={
            "training_rows": int(len(features)),
            "positives": {code: int(labels[:, j].sum()) for j, code in enumerate(codes)},
        },
    )


async def train_from_database(
    connection: AsyncConnection,
    *,
    last_cutoff: dt.date,
    snapshots: int = 12,
    window_months: int = 3,
    rounds: int = BOOST_ROUNDS,
) -> PropensityModel:
    """Train on ``snapshots`` monthly cutoffs, the last of which is ``last_cutoff``.

    Labels need ``window_months`` after each cutoff, so ``last_cutoff`` plus the window
    must not pass the newest data.
    """
    cutoffs = training_cutoffs(last_cutoff, snapshots)
    data = await read_training_data(connection, cutoffs, window_months)
    model = train(data, rounds=rounds)
    model.window_months = window_months
    model.metadata["cutoffs"] = [c.isoformat() for c in cutoffs]
    return model
