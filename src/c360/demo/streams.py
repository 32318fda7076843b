"""Independent random streams, one per part of the generator.

Each part draws from its own stream, seeded by the user's seed and the part's name, so a
change to how one part draws (one more column, one more draw) leaves every other part's
rows exactly as they were.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def choose(rng: np.random.Generator, weights: np.ndarray | list[float], size: int) -> np.ndarray:
    """Indices drawn with the given (not necessarily normalised) weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")


def choose_per_row(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of a ``(rows, options)`` weight matrix."""
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(weights)) * cumulative[:, -1]
    return (draws[:, None] >= cumulative).sum(axis=1)
