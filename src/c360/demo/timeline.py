"""The demo's calendar: the reference date, month arithmetic, and dates drawn at random.

The generator works in whole months: month ``m`` of the simulation is the ``m``-th of the
``HISTORY_MONTHS`` months before the month of ``as_of``, so every generated event falls
before ``as_of``. Dates are ``numpy.datetime64[D]`` arrays and timestamps
``datetime64[us]`` arrays in UTC until they are written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# A fixed default so that the same seed gives the same rows whatever day it runs.
DEMO_AS_OF = dt.date(2026, 11, 1)
HISTORY_MONTHS = 144  # twelve years of acquisitions

_EPOCH_MONTH = 1970 * 12
_DAY = np.timedelta64(1, "D")


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months differ by one, across years too."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_indices(days: np.ndarray) -> np.ndarray:
    """``month_index`` of each date of a ``datetime64[D]`` array."""
    return days.astype("datetime64[M]").astype(np.int64) + _EPOCH_MONTH


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 -> 28/29 Feb)."""
    first = days.astype("datetime64[M]")
    day_of_month = (days - first.astype("datetime64[D]")).astype(np.int64)
    target = first + np.asarray(months).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1) * _DAY


def to_instant(day: dt.date) -> np.datetime64:
    """Midnight UTC at the start of ``day`` as a ``datetime64[us]``."""
    return np.datetime64(day.isoformat(), "us")


def random_times(
    rng: np.random.Generator, days: np.ndarray, *, from_hour: int = 7, to_hour: int = 20
) -> np.ndarray:
    """A timestamp within working hours (UTC) on each of ``days``."""
    seconds = rng.integers(from_hour * 3600, to_hour * 3600, size=len(days))
    return days.astype("datetime64[us]") + seconds.astype("timedelta64[s]")


def random_instants_between(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """A timestamp uniformly in ``[start, end)`` for each pair (``end`` at least a second later)."""
    start_s = start.astype("datetime64[s]").astype(np.int64)
    end_s = np.maximum(end.astype("datetime64[s]").astype(np.int64), start_s + 1)
    return (
        (start_s + (rng.random(len(start_s)) * (end_s - start_s)).astype(np.int64))
        .astype("datetime64[s]")
        .astype("datetime64[us]")
    )


@dataclass(frozen=True)
class Timeline:
    """The simulated months before ``as_of``; month ``m`` is relative, 0 the earliest."""

    as_of: dt.date
    months: int = HISTORY_MONTHS

    @property
    def as_of_month(self) -> int:
        return month_index(self.as_of)

    @property
    def first_month(self) -> int:
        return self.as_of_month - self.months

    @property
    def as_of_instant(self) -> np.datetime64:
        return to_instant(self.as_of)

    def start(self, month: int) -> dt.date:
        return month_start(self.first_month + month)

    @cached_property
    def month_starts(self) -> np.ndarray:
        """First day of each simulated month, and of the month of ``as_of`` at the end."""
        first = np.datetime64(self.start(0).isoformat(), "M")
        return (first + np.arange(self.months + 1)).astype("datetime64[D]")

    @cached_property
    def month_lengths(self) -> np.ndarray:
        return np.diff(
            (np.datetime64(self.start(0).isoformat(), "M") + np.arange(self.months + 2)).astype(
                "datetime64[D]"
            )
        ).astype(np.int64)

    def random_days(self, rng: np.random.Generator, months: np.ndarray) -> np.ndarray:
        """A uniformly drawn day within each of the relative ``months``."""
        months = np.asarray(months, dtype=np.int64)
        offsets = (rng.random(len(months)) * self.month_lengths[months]).astype(np.int64)
        return self.month_starts[months] + offsets * _DAY

    def days_before_as_of(self, days: np.ndarray) -> np.ndarray:
        return (np.datetime64(self.as_of.isoformat(), "D") - days).astype(np.int64)


def numpy_day(day: dt.date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "D")
