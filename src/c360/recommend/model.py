"""The propensity model: one LightGBM binary booster per product (one-vs-rest).

Scoring goes through one booster for all products: the per-product trees interleaved
into a LightGBM ``multiclassova`` model (``combine_boosters``), whose class k is exactly
product k's booster (the trees summed in the same order, the same sigmoid). A page of
customers is then one ``predict`` call instead of one per product: per-call overhead
(~0.05 ms each) was most of the time for a single customer (bench/recommend_speed.py).

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
from functools import cached_property

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
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

# Small, shallow boosters: 50 rounds of depth-3 trees per product (900 trees in all, 7
# leaves at most) rank as well as 200 rounds of 31-leaf trees (3,600 trees, depth up to
# 23) and a little better (MAP@3 0.523 against 0.501 on tuning seed 7); that bigger model
# overfitted, and its cold-cache predict was most of what the field added to a request.
# Tuned on demo seeds 7 and 8 only (evaluate.TUNING_SEEDS), never on evaluation's seeds.
LGB_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 7,
    "max_depth": 3,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 2,
    "verbose": -1,
    "seed": 7,
}
BOOST_ROUNDS = 50
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

    @cached_property
    def scorer(self) -> lgb.Booster | None:
        """Every product's booster as one multi-output booster (``combine_boosters``)."""
        return combine_boosters([self.boosters[code] for code in self.product_codes])

    def predict(self, snapshot: Snapshot, rows: npt.NDArray[np.bool_] | None = None) -> np.ndarray:
        """Probability of acquiring each product in the window: ``(customers, products)``.

        ``rows`` (a mask over the snapshot's customers) scores only those customers and
        returns their rows alone. One LightGBM call whatever the number of products.
        """
        if snapshot.product_codes != self.product_codes:
            raise ValueError("the snapshot's products differ from the model's")
        features = snapshot.matrix(self.interest_vocabulary)
        held = snapshot.held
        if rows is not None:
            features, held = features[rows], held[rows]
        scores = np.empty(held.shape, dtype=np.float64)
        scores[:] = self.base_rates
        if len(features) and self.scorer is not None:
            threads = 1 if len(features) <= SERIAL_PREDICT_ROWS else 2
            predicted = self.scorer.predict(features, num_threads=threads).reshape(held.shape)
            trained = np.array([self.boosters[code] is not None for code in self.product_codes])
            scores[:, trained] = predicted[:, trained]
        scores[held] = 0.0
        return scores

    def popularity(self, snapshot: Snapshot) -> np.ndarray:
        """Each customer's segment's acquisition rates; held products score 0."""
        scores = np.array(
            [self.segment_rates.get(segment, self.base_rates) for segment in snapshot.segments],
            dtype=np.float64,
        ).reshape(snapshot.held_months.shape)
        scores[snapshot.held] = 0.0
        return scores


# A tree that adds nothing: pads a class whose booster is missing or shorter.
_EMPTY_TREE = """num_leaves=1
num_cat=0
split_feature=
split_gain=
threshold=
decision_type=
left_child=
right_child=
leaf_value=0
leaf_weight=
leaf_count=
internal_value=
internal_weight=
internal_count=
is_linear=0
shrinkage=1"""


def _trees(text: str) -> list[str]:
    """The tree blocks of a booster's model text, without their ``Tree=i`` lines."""
    body = text[text.index("\nTree=0\n") + 1 : text.index("\nend of trees")]
    blocks = [block.strip() for block in body.split("\n\n") if block.strip()]
    return [block.split("\n", 1)[1] for block in blocks]


def combine_boosters(boosters: Sequence[lgb.Booster | None]) -> lgb.Booster | None:
    """One ``multiclassova`` booster whose class k predicts exactly what ``boosters[k]`` does.

    LightGBM stores a k-class model's trees iteration by iteration, class by class, and
    ``multiclassova`` applies the binary sigmoid to each class's sum: so interleaving the
    binary boosters' trees gives the same sums in the same order. A missing booster (or
    a shorter one) is padded with single-leaf trees worth 0; the caller ignores a
    missing booster's column. All boosters must share the features (they do: one matrix).
    """
    texts = [b.model_to_string() if b is not None else None for b in boosters]
    present = [t for t in texts if t is not None]
    if not present:
        return None
    header = present[0][: present[0].index("\nTree=0\n")].split("\n")
    if not all(line == "objective=binary sigmoid:1" for line in header if "objective=" in line):
        raise ValueError("only binary boosters with sigmoid 1 can be combined")
    k = len(texts)
    replaced = {
        "num_class": f"num_class={k}",
        "num_tree_per_iteration": f"num_tree_per_iteration={k}",
        "objective": f"objective=multiclassova num_class:{k} sigmoid:1",
    }
    lines = [
        replaced.get(line.split("=", 1)[0], line)
        for line in header
        if not line.startswith("tree_sizes=")  # optional: LightGBM then parses sequentially
    ]
    trees = [_trees(t) if t is not None else [] for t in texts]
    rounds = max(map(len, trees))
    blocks = [
        f"Tree={i * k + j}\n{per[i] if i < len(per) else _EMPTY_TREE}\n"
        for i in range(rounds)
        for j, per in enumerate(trees)
    ]
    text = "\n".join(lines) + "\n\n" + "\n".join(blocks) + "\nend of trees\n"
    return lgb.Booster(model_str=text)


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
