"""Theil-Sen slope with Sen's confidence interval, in plain numpy.

The same estimator as `scipy.stats.theilslopes` (median of pairwise slopes; the interval
from Sen 1968, eq. 2.6, with ties in x and y), without its per-call overhead: a learner's
trends read fits one per skill, and scipy's argument handling cost more than the math.
The tests hold it equal to scipy's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class TheilSen:
    slope: float
    low_slope: float
    high_slope: float


@cache
def _z(confidence: float) -> float:
    # The standard library's quantile, not scipy's: importing scipy.stats costs every server
    # process about a second at start-up.
    return NormalDist().inv_cdf((1.0 - confidence) / 2.0)


def _tie_term(values: NDArray[np.float64]) -> int:
    _, counts = np.unique(values, return_counts=True)
    return sum(k * (k - 1) * (2 * k + 5) for k in counts[counts > 1].tolist())


def theil_sen(y: NDArray[np.float64], x: NDArray[np.float64], confidence: float = 0.95) -> TheilSen:
    """Median of the slopes between every pair of points with distinct x, and its interval.

    Raises ValueError when no two points differ in x (no slope is defined).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    dx = x[:, np.newaxis] - x
    dy = y[:, np.newaxis] - y
    forward = dx > 0
    slopes = np.sort(dy[forward] / dx[forward])
    if slopes.size == 0:
        raise ValueError("Theil-Sen needs at least two distinct x values")
    n = len(y)
    variance = (n * (n - 1) * (2 * n + 5) - _tie_term(x) - _tie_term(y)) / 18.0
    spread = _z(confidence) * np.sqrt(max(variance, 0.0))
    count = slopes.size
    upper = min(round((count - spread) / 2.0), count - 1)
    lower = max(round((count + spread) / 2.0) - 1, 0)
    return TheilSen(float(np.median(slopes)), float(slopes[lower]), float(slopes[upper]))


def median_pairwise_slope(y: NDArray[np.float64]) -> float:
    """Theil-Sen slope of y against 0, 1, 2, ... (one step per point)."""
    return theil_sen(y, np.arange(len(y), dtype=np.float64)).slope
