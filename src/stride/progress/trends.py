"""Trends of a score series over time (one skill's attempts, or any series of scores in [0, 1]).

Everything here is descriptive and robust rather than clever: Theil-Sen slopes (the median
of pairwise slopes) so one lucky or unlucky attempt does not tilt a trend, a power-law
learning curve fitted in log-log space, and binary segmentation for sudden changes. Each
result states how many points it rests on, and nothing is claimed below `min_points`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from stride.progress.theil_sen import median_pairwise_slope, theil_sen

OK = "ok"
NOT_ENOUGH_DATA = "not_enough_data"

# Theil-Sen is O(n^2) in time and memory: a trend reads at most this many recent points.
MAX_POINTS = 1000
CONSISTENCY_WINDOW = 10
VELOCITY_CONFIDENCE = 0.95
# Scores minutes apart say nothing about a weekly pace.
MIN_VELOCITY_SPAN = timedelta(days=1)
# The learning curve is fitted on a trailing mean of the error over this many attempts:
# single attempts are mostly 0 or 1, whose logarithm is useless.
CURVE_SMOOTHING = 3
MIN_CURVE_POINTS = 3
# Change points (see change_points): segments of at least 3 points whose means differ by at
# least 0.15 and by MIN_T standard errors (a t-test made strict, as the best of many possible
# cuts is the one tested). Measured on pure noise of 30 to 1000 points, some change point is
# reported in about 3% of coin-flip series (7% of 10 flips) and at most 1-2% of Gaussian ones
# (mean 0.6, sd 0.15); a 0.3 -> 0.9 jump in the share of correct answers is found in 78% of
# 15 + 15 attempts, a 0.4 -> 0.7 jump of Gaussian scores (sd 0.1) in 97% of 10 + 10.
MIN_SEGMENT = 3
MIN_SHIFT = 0.15
MIN_T = 3.5
_CANDIDATE_T = 2.0  # the loose first pass, pruned at MIN_T
# Plateaus: at least 5 points, flat to within 0.02 per attempt, below mastery.
MIN_PLATEAU = 5
FLAT_SLOPE = 0.02
# Flat at or above this mean is mastery, not a plateau (the readiness ADVANCED mean, 85%).
MASTERY_SCORE = 0.85


@dataclass(frozen=True, slots=True)
class ScorePoint:
    timestamp: datetime
    score: float  # in [0, 1]

    def __post_init__(self) -> None:
        if self.timestamp.utcoffset() is None:
            raise ValueError("timestamp must be timezone-aware")
        if not (math.isfinite(self.score) and 0.0 <= self.score <= 1.0):
            raise ValueError(f"score must lie in [0, 1], got {self.score}")


@dataclass(frozen=True, slots=True)
class LearningCurve:
    """error = a * attempt^(-b), fitted on `n` points; r2 is measured in log-log space."""

    a: float
    b: float
    r2: float
    n: int


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """The series' mean changes at `index` (the first point of the new level)."""

    index: int
    timestamp: datetime
    mean_before: float
    mean_after: float
    kind: str  # "breakthrough" (up) or "drop"


@dataclass(frozen=True, slots=True)
class Plateau:
    """Points `start_index`..`end_index` (inclusive) with no progress, below mastery."""

    start_index: int
    end_index: int
    started_at: datetime
    ended_at: datetime
    points: int
    mean_score: float
    slope_per_attempt: float


@dataclass(frozen=True, slots=True)
class Trend:
    """`points` is how many points the trend rests on (the most recent, up to MAX_POINTS).

    Indices in change points and plateaus count from 0 in the chronological order of all
    the points given. A metric that the points cannot define is None even when status is
    "ok" (e.g. the velocity when all points fall within a day).
    """

    points: int
    total_points: int
    status: str
    velocity_per_week: float | None
    velocity_low_per_week: float | None
    velocity_high_per_week: float | None
    consistency_sd: float | None
    learning_curve: LearningCurve | None
    change_points: tuple[ChangePoint, ...]
    plateaus: tuple[Plateau, ...]


def skill_trend(
    points: Sequence[ScorePoint], *, min_points: int = 5, max_points: int = MAX_POINTS
) -> Trend:
    """The trend of a score series; points may come in any order."""
    if min_points < 2:
        raise ValueError(f"min_points must be at least 2, got {min_points}")
    if max_points < min_points:
        raise ValueError(f"max_points ({max_points}) must be >= min_points ({min_points})")
    ordered = sorted(points, key=lambda p: (p.timestamp, p.score))
    offset = max(0, len(ordered) - max_points)
    recent = ordered[offset:]
    if len(recent) < min_points:
        return Trend(
            len(recent), len(ordered), NOT_ENOUGH_DATA, None, None, None, None, None, (), ()
        )
    scores = np.array([p.score for p in recent], dtype=np.float64)
    times = [p.timestamp for p in recent]
    velocity = _velocity(times, scores)
    return Trend(
        points=len(recent),
        total_points=len(ordered),
        status=OK,
        velocity_per_week=velocity[0] if velocity else None,
        velocity_low_per_week=velocity[1] if velocity else None,
        velocity_high_per_week=velocity[2] if velocity else None,
        consistency_sd=float(np.std(scores[-CONSISTENCY_WINDOW:], ddof=1)),
        learning_curve=learning_curve(scores, first_attempt=offset + 1),
        change_points=tuple(
            ChangePoint(
                index=offset + i,
                timestamp=times[i],
                mean_before=before,
                mean_after=after,
                kind="breakthrough" if after > before else "drop",
            )
            for i, before, after in change_points(scores)
        ),
        plateaus=tuple(
            Plateau(
                start_index=offset + start,
                end_index=offset + end,
                started_at=times[start],
                ended_at=times[end],
                points=end - start + 1,
                mean_score=float(np.mean(scores[start : end + 1])),
                slope_per_attempt=median_pairwise_slope(scores[start : end + 1]),
            )
            for start, end in plateaus(scores)
        ),
    )


def _velocity(times: Sequence[datetime], scores: NDArray[np.float64]) -> tuple[float, ...] | None:
    """Theil-Sen slope of score against time in weeks, with its confidence bounds."""
    if times[-1] - times[0] < MIN_VELOCITY_SPAN:
        return None
    week = timedelta(days=7).total_seconds()
    weeks = np.array([(t - times[0]).total_seconds() / week for t in times])
    result = theil_sen(scores, weeks, VELOCITY_CONFIDENCE)
    return result.slope, result.low_slope, result.high_slope


def learning_curve(scores: NDArray[np.float64], *, first_attempt: int = 1) -> LearningCurve | None:
    """Power law of practice on the error: log(err) = log(a) - b * log(attempt).

    The error (1 - score) is smoothed by a trailing mean over CURVE_SMOOTHING attempts;
    attempts whose smoothed error is 0 drop out (log 0). None when fewer than
    MIN_CURVE_POINTS remain or the smoothed error is constant (r2 undefined) — which covers
    series that are all 1 or all 0.
    """
    errors = 1.0 - scores
    kernel = np.ones(CURVE_SMOOTHING)
    sums = np.convolve(errors, kernel)[: len(errors)]
    counts = np.convolve(np.ones_like(errors), kernel)[: len(errors)]
    smoothed = sums / counts
    attempts = np.arange(first_attempt, first_attempt + len(errors), dtype=np.float64)
    keep = smoothed > 1e-12
    if int(keep.sum()) < MIN_CURVE_POINTS:
        return None
    x, y = np.log(attempts[keep]), np.log(smoothed[keep])
    total = float(np.sum((y - y.mean()) ** 2))
    if total < 1e-12:
        return None
    slope, intercept, residual = _least_squares_line(x, y)
    return LearningCurve(
        a=float(np.exp(intercept)), b=float(-slope), r2=1.0 - residual / total, n=int(keep.sum())
    )


def change_points(scores: NDArray[np.float64]) -> list[tuple[int, float, float]]:
    """(index, mean before, mean after) of shifts in the mean: binary segmentation, then pruning.

    1. Candidates: cut the series where one cut reduces the squared error the most, if both
       sides hold MIN_SEGMENT points and their means differ by MIN_SHIFT and _CANDIDATE_T
       standard errors; recurse into both sides. (Loose, because a side that holds a
       further change looks noisier than it is.)
    2. Pruning: test each cut against the two segments next to it: their means must differ
       by MIN_SHIFT and MIN_T standard errors, and the step must fit them better than a
       straight line does (a steady climb is a trend, reported by the velocity, not a
       breakthrough). Drop the failing cut with the smallest t, retest, until all pass.

    The means reported are those of the final neighbouring segments.
    """
    cuts: list[int] = []
    _split(scores, 0, len(scores), cuts)
    cuts.sort()
    while cuts:
        bounds = [0, *cuts, len(scores)]
        tests = [_step(scores, bounds[k], bounds[k + 1], bounds[k + 2]) for k in range(len(cuts))]
        failing = [(t, k) for k, (t, passed) in enumerate(tests) if not passed]
        if not failing:
            break
        del cuts[min(failing)[1]]
    bounds = [0, *cuts, len(scores)]
    return [
        (cut, _mean(scores, bounds[k], cut), _mean(scores, cut, bounds[k + 2]))
        for k, cut in enumerate(cuts)
    ]


def _mean(scores: NDArray[np.float64], start: int, stop: int) -> float:
    return float(np.mean(scores[start:stop]))


def _t(left: NDArray[np.float64], right: NDArray[np.float64]) -> tuple[float, float, float]:
    """Shift of the mean, its t statistic (pooled variance) and the squared error of the step."""
    shift = float(right.mean() - left.mean())
    within = float(np.sum((left - left.mean()) ** 2) + np.sum((right - right.mean()) ** 2))
    n = len(left) + len(right)
    stderr = math.sqrt(within / (n - 2) * (1 / len(left) + 1 / len(right)))
    return shift, abs(shift) / stderr if stderr > 0 else math.inf, within


def _step(scores: NDArray[np.float64], start: int, cut: int, stop: int) -> tuple[float, bool]:
    shift, t, within = _t(scores[start:cut], scores[cut:stop])
    passed = abs(shift) >= MIN_SHIFT and t >= MIN_T and within < _line_error(scores[start:stop])
    return t, passed


def _split(scores: NDArray[np.float64], start: int, stop: int, cuts: list[int]) -> None:
    n = stop - start
    if n < 2 * MIN_SEGMENT:
        return
    segment = scores[start:stop]
    # The squared error saved by cutting before position k is n1 * n2 / n * (m1 - m2)^2.
    k = np.arange(MIN_SEGMENT, n - MIN_SEGMENT + 1)
    prefix = np.concatenate(([0.0], np.cumsum(segment)))
    m1 = prefix[k] / k
    m2 = (prefix[n] - prefix[k]) / (n - k)
    cut = int(k[int(np.argmax(k * (n - k) / n * (m1 - m2) ** 2))])
    shift, t, _ = _t(segment[:cut], segment[cut:])
    if abs(shift) < MIN_SHIFT or t < _CANDIDATE_T:
        return
    cuts.append(start + cut)
    _split(scores, start, start + cut, cuts)
    _split(scores, start + cut, stop, cuts)


def _line_error(segment: NDArray[np.float64]) -> float:
    """Squared error of the least-squares straight line through the segment."""
    return _least_squares_line(np.arange(len(segment), dtype=np.float64), segment)[2]


def _least_squares_line(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[float, float, float]:
    """(slope, intercept, squared error) of the least-squares line; x must not be constant."""
    dx = x - x.mean()
    dy = y - y.mean()
    slope = float(np.dot(dx, dy) / np.dot(dx, dx))
    intercept = float(y.mean() - slope * x.mean())
    residual = float(np.sum((dy - slope * dx) ** 2))
    return slope, intercept, residual


def plateaus(scores: NDArray[np.float64]) -> list[tuple[int, int]]:
    """(start, end) inclusive of maximal runs of at least MIN_PLATEAU flat points below mastery.

    Greedy, left to right: a run starts at the first MIN_PLATEAU-point window that is flat
    and below MASTERY_SCORE on average, and grows one point at a time while it stays so.
    Flat means the Theil-Sen slope (per attempt) lies within +-FLAT_SLOPE; when the number
    of pairwise slopes is even, both middle slopes must. That test only needs the counts of
    slopes beyond +-FLAT_SLOPE in a window, which come for every (start, end) at once from
    cumulative sums over the matrix of pairwise slopes.
    """
    n = len(scores)
    if n < MIN_PLATEAU:
        return []
    index = np.arange(n)
    later = index[np.newaxis, :] > index[:, np.newaxis]  # [a, b]: a < b
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = (scores[np.newaxis, :] - scores[:, np.newaxis]) / (
            index[np.newaxis, :] - index[:, np.newaxis]
        )
    # steep[start, end]: slopes beyond the bound between points start..end. A pair (a, b)
    # counts for every start <= a: sum over rows from the bottom, then along the row.
    steep_up = _window_counts(later & (slopes >= FLAT_SLOPE))
    steep_down = _window_counts(later & (slopes <= -FLAT_SLOPE))
    size = index[np.newaxis, :] - index[:, np.newaxis] + 1
    pairs = size * (size - 1) // 2
    # Sums start..end added left to right, as a running total would.
    sums = np.cumsum(np.where(later | (size == 1), scores[np.newaxis, :], 0.0), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums / size
    holds = _flat(steep_up, steep_down, pairs) & (mean < MASTERY_SCORE)
    breaks = (size >= MIN_PLATEAU) & ~holds
    first_break = np.where(breaks.any(axis=1), breaks.argmax(axis=1), n)
    found: list[tuple[int, int]] = []
    start = 0
    while start + MIN_PLATEAU <= n:
        end = int(first_break[start]) - 1
        if end - start + 1 >= MIN_PLATEAU:
            found.append((start, end))
            start = end + 1
        else:
            start += 1
    return found


def _window_counts(marked: NDArray[np.bool_]) -> NDArray[np.int64]:
    """[start, end]: marked pairs (a, b) with start <= a < b <= end."""
    from_start = np.cumsum(marked[::-1].astype(np.int64), axis=0)[::-1]
    return np.cumsum(np.triu(from_start), axis=1)


def _flat(
    up: NDArray[np.int64], down: NDArray[np.int64], m: NDArray[np.int64]
) -> NDArray[np.bool_]:
    # Sorted slopes s[0..m-1]: the upper middle s[m // 2] < FLAT_SLOPE iff fewer than
    # m - m // 2 slopes are >= FLAT_SLOPE; the lower middle s[(m - 1) // 2] > -FLAT_SLOPE iff
    # at most (m - 1) // 2 slopes are <= -FLAT_SLOPE.
    return (up < m - m // 2) & (down <= (m - 1) // 2)
