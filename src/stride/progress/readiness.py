"""Readiness for a module: a level read from the learner's most recent scored attempts.

Only the last `window` scores count, so the level follows the learner as they improve
instead of averaging in their first, weaker tries. A high mean is not enough for the upper
levels: the scores must also be steady (a small standard deviation).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

OK = "ok"
NOT_ENOUGH_DATA = "not_enough_data"


class ReadinessLevel(StrEnum):
    ADVANCED = "advanced"
    PROFICIENT = "proficient"
    DEVELOPING = "developing"
    BEGINNER = "beginner"


@dataclass(frozen=True, slots=True)
class ReadinessThresholds:
    """Cut-offs on percentages (0..100); a level needs its mean and, above DEVELOPING, its sd."""

    advanced_mean: float = 85.0
    advanced_sd: float = 10.0
    proficient_mean: float = 70.0
    proficient_sd: float = 15.0
    developing_mean: float = 50.0
    window: int = 5

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")
        means = (self.developing_mean, self.proficient_mean, self.advanced_mean)
        if not all(math.isfinite(m) and 0.0 <= m <= 100.0 for m in means):
            raise ValueError(f"mean thresholds must lie in [0, 100], got {means}")
        if not self.developing_mean <= self.proficient_mean <= self.advanced_mean:
            raise ValueError(
                "mean thresholds must rise: developing <= proficient <= advanced, "
                f"got {self.developing_mean}, {self.proficient_mean}, {self.advanced_mean}"
            )
        sds = (self.advanced_sd, self.proficient_sd)
        if not all(math.isfinite(s) and s > 0.0 for s in sds):
            raise ValueError(f"sd thresholds must be positive, got {sds}")
        # A higher level must not tolerate more spread than a lower one.
        if self.advanced_sd > self.proficient_sd:
            raise ValueError(
                f"advanced_sd ({self.advanced_sd}) must not exceed proficient_sd "
                f"({self.proficient_sd})"
            )


DEFAULT_THRESHOLDS = ReadinessThresholds()


@dataclass(frozen=True, slots=True)
class Readiness:
    """`attempts` is the number of scores the level rests on (at most the window)."""

    level: ReadinessLevel | None
    mean: float | None
    sd: float | None
    attempts: int
    status: str


def module_readiness(
    scores: Sequence[float], thresholds: ReadinessThresholds = DEFAULT_THRESHOLDS
) -> Readiness:
    """Level from the last `thresholds.window` scores (percentages 0..100, oldest first).

    The sd is the sample sd (ddof=1): the window is a sample of what the learner would score,
    and with so few points the population sd would understate the spread. A single score has
    no spread to measure; its sd is reported as 0, and `attempts` = 1 tells the caller how
    little the level rests on.
    """
    for score in scores:
        if not (math.isfinite(score) and 0.0 <= score <= 100.0):
            raise ValueError(f"scores must be percentages in [0, 100], got {score}")
    recent = [float(s) for s in scores[-thresholds.window :]]
    if not recent:
        return Readiness(level=None, mean=None, sd=None, attempts=0, status=NOT_ENOUGH_DATA)
    # fmean/stdev sum exactly, so five scores of 85 give a mean of exactly 85.
    mean = statistics.fmean(recent)
    sd = statistics.stdev(recent) if len(recent) >= 2 else 0.0
    return Readiness(
        level=_level(mean, sd, thresholds), mean=mean, sd=sd, attempts=len(recent), status=OK
    )


def _level(mean: float, sd: float, t: ReadinessThresholds) -> ReadinessLevel:
    if mean >= t.advanced_mean and sd < t.advanced_sd:
        return ReadinessLevel.ADVANCED
    if mean >= t.proficient_mean and sd < t.proficient_sd:
        return ReadinessLevel.PROFICIENT
    if mean >= t.developing_mean:
        return ReadinessLevel.DEVELOPING
    return ReadinessLevel.BEGINNER
