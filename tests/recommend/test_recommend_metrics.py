"""Ranking metrics on examples small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from c360.recommend import metrics

# Scores rank the four products 0 > 1 > 2 > 3.
SCORES = np.array([[0.9, 0.5, 0.3, 0.1], [0.9, 0.5, 0.3, 0.1]])
RELEVANT = np.array([[False, True, False, True], [True, False, False, False]])


def test_average_precision_at_k() -> None:
    # Row 0: hit at rank 2 -> P@2 = 1/2, over min(2 relevant, k).
    assert metrics.average_precision_at_k(SCORES, RELEVANT, 1).tolist() == [0.0, 1.0]
    assert metrics.average_precision_at_k(SCORES, RELEVANT, 3) == pytest.approx([0.25, 1.0])
    # k = 4: hits at ranks 2 and 4 -> (1/2 + 2/4) / 2.
    assert metrics.average_precision_at_k(SCORES, RELEVANT, 4) == pytest.approx([0.5, 1.0])


def test_recall_and_ndcg_at_3() -> None:
    assert metrics.recall_at_k(SCORES, RELEVANT, 3) == pytest.approx([0.5, 1.0])
    ideal = 1 + 1 / math.log2(3)
    assert metrics.ndcg_at_k(SCORES, RELEVANT, 3) == pytest.approx([(1 / math.log2(3)) / ideal, 1])


def test_bootstrap_interval_contains_the_mean_and_ratio_of_equal_is_one() -> None:
    values = np.random.default_rng(1).random(500)
    mean, low, high = metrics.bootstrap_mean_ci([values, values + 1])
    assert low < mean < high and mean == pytest.approx(values.mean() + 0.5)
    assert metrics.bootstrap_ratio_ci([values], [values]) == pytest.approx((1.0, 1.0, 1.0))
