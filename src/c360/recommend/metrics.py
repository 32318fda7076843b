"""Ranking metrics per customer: average precision at k, recall at k and NDCG at k."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` best scores, best first (ties: lower index first)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k]


def _hits(scores: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    return np.take_along_axis(relevant, top_k(scores, k), axis=1).astype(np.float64)


def average_precision_at_k(scores: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    """AP@k per row: the mean of precision@i at each hit i <= k, over min(|relevant|, k)."""
    hits = _hits(scores, relevant, k)
    precision = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    denominator = np.minimum(relevant.sum(axis=1), k)
    return (precision * hits).sum(axis=1) / np.maximum(denominator, 1)


def recall_at_k(scores: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    return _hits(scores, relevant, k).sum(axis=1) / np.maximum(relevant.sum(axis=1), 1)


def ndcg_at_k(scores: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    hits = _hits(scores, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    ideal_count = np.minimum(relevant.sum(axis=1), hits.shape[1]).astype(int)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[ideal_count]
    return (hits * discounts).sum(axis=1) / np.maximum(ideal, 1e-12)


def bootstrap_mean_ci(
    groups: list[np.ndarray], *, samples: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean over groups of the group means; percentile bootstrap resampling within groups."""
    rng = np.random.default_rng(seed)
    estimate = float(np.mean([g.mean() for g in groups]))
    draws = np.zeros(samples)
    for g in groups:
        draws += g[rng.integers(0, len(g), size=(samples, len(g)))].mean(axis=1)
    draws /= len(groups)
    tail = (1 - level) / 2
    return estimate, float(np.quantile(draws, tail)), float(np.quantile(draws, 1 - tail))


def bootstrap_ratio_ci(
    numerators: list[np.ndarray],
    denominators: list[np.ndarray],
    *,
    samples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Ratio of the means of paired per-customer values, resampling customers within groups."""
    rng = np.random.default_rng(seed)
    top = np.zeros(samples)
    bottom = np.zeros(samples)
    for a, b in zip(numerators, denominators, strict=True):
        picks = rng.integers(0, len(a), size=(samples, len(a)))
        top += a[picks].mean(axis=1)
        bottom += b[picks].mean(axis=1)
    estimate = float(
        np.mean([a.mean() for a in numerators]) / np.mean([b.mean() for b in denominators])
    )
    ratios = top / np.maximum(bottom, 1e-12)
    tail = (1 - level) / 2
    return estimate, float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))
