"""Correlations for learning analytics: point-biserial (grouped, from sums) and Spearman."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Correlation:
    coefficient: float | None  # None when undefined (fewer than 3 pairs, or a constant side)
    n: int
    p_value: float | None = None


def pearson_from_sums(
    n: float, sx: float, sy: float, sxy: float, sxx: float, syy: float
) -> float | None:
    """Pearson's r from n and the sums of x, y, xy, x², y² (None when a side is constant).

    With x in {0, 1} this is the point-biserial correlation.
    """
    if n < 3:
        return None
    cov = n * sxy - sx * sy
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    # Relative guard: sums of equal floats can leave a tiny non-zero variance.
    if vx <= 1e-12 * max(1.0, n * sxx) or vy <= 1e-12 * max(1.0, n * syy):
        return None
    return float(max(-1.0, min(1.0, cov / math.sqrt(vx * vy))))


def point_biserial(x: Sequence[bool], y: Sequence[float]) -> Correlation:
    """Point-biserial correlation of a dichotomous x with a continuous y."""
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    n = len(xs)
    r = pearson_from_sums(n, xs.sum(), ys.sum(), (xs * ys).sum(), (xs * xs).sum(), (ys * ys).sum())
    return Correlation(r, n)


def grouped_point_biserial(
    groups: npt.NDArray[np.intp],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    group_count: int,
) -> list[Correlation]:
    """Point-biserial correlation within each group (index 0..group_count-1), in one pass."""

    def total(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.bincount(groups, weights=weights, minlength=group_count).astype(np.float64)

    n = np.bincount(groups, minlength=group_count)
    sx, sy, sxy, sxx, syy = total(x), total(y), total(x * y), total(x * x), total(y * y)
    return [
        Correlation(
            pearson_from_sums(float(n[g]), sx[g], sy[g], sxy[g], sxx[g], syy[g]),
            int(n[g]),
        )
        for g in range(group_count)
    ]


def spearman(x: Sequence[float], y: Sequence[float]) -> Correlation:
    """Spearman's rank correlation with its two-sided p-value (scipy), None when undefined."""
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    n = len(x)
    if n < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return Correlation(None, n)
    from scipy import stats  # on first use: importing scipy.stats takes about a second

    result = stats.spearmanr(x, y)
    rho, p = float(result.statistic), float(result.pvalue)
    if math.isnan(rho):
        return Correlation(None, n)
    return Correlation(rho, n, None if math.isnan(p) else p)
