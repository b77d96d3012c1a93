"""Volume anomalies: robust z-scores of hourly counts against the same hour of past weeks (pure).

An hour's count x is compared with the counts of the same hour of the week in the previous
weeks: median m and median absolute deviation MAD. The modified z-score (Iglewicz and
Hoaglin) is z = 0.6745 * (x - m) / MAD = (x - m) / (1.4826 * MAD). When MAD is 0 the scale is
1.2533 times the mean absolute deviation from m instead; and the scale is never below
sqrt(max(m, 1)), the spread of a Poisson count, so a quiet hour that was 0 every week is not
an anomaly because one event came.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

MAD_SCALE = 1.4826  # 1 / 0.6745: MAD of a normal distribution -> its standard deviation
MEAN_AD_SCALE = 1.2533  # sqrt(pi / 2): mean absolute deviation -> standard deviation
DEFAULT_THRESHOLD = 3.5
DEFAULT_HISTORY_WEEKS = 8
MIN_HISTORY_WEEKS = 4
WEEK = timedelta(weeks=1)
HOUR = timedelta(hours=1)
HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class RobustScore:
    expected: float  # the median of the history
    scale: float
    z: float


def robust_z(value: float, history: Sequence[float]) -> RobustScore:
    """The modified z-score of `value` against `history` (at least one value)."""
    if not history:
        raise ValueError("a robust z-score needs a history")
    median = statistics.median(history)
    deviations = [abs(x - median) for x in history]
    mad = statistics.median(deviations)
    scale = MAD_SCALE * mad if mad > 0 else MEAN_AD_SCALE * statistics.fmean(deviations)
    scale = max(scale, math.sqrt(max(median, 1.0)))
    return RobustScore(median, scale, (value - median) / scale)


@dataclass(frozen=True)
class Anomaly:
    hour: datetime
    count: int
    expected: float
    z: float

    @property
    def size(self) -> float:
        return self.count - self.expected


@dataclass(frozen=True)
class AnomalyScan:
    scored: int  # hours with enough history to be scored
    anomalies: list[Anomaly]


def find_anomalies(
    counts: Mapping[datetime, int],
    start: datetime,
    end: datetime,
    first_hour: datetime,
    threshold: float = DEFAULT_THRESHOLD,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
) -> AnomalyScan:
    """Hours in [start, end) whose |z| >= threshold, in time order (as `robust_z` scores them).

    `counts` holds hourly counts (hours as aware datetimes on the hour; a missing hour counts
    0). Only weeks from `first_hour` (the first hour with data) on make history; an hour with
    fewer than MIN_HISTORY_WEEKS of them is not scored.
    """
    hours = int((end - start) / HOUR)
    if hours <= 0:
        return AnomalyScan(0, [])
    lag = history_weeks * HOURS_PER_WEEK
    base = start - history_weeks * WEEK
    values = np.zeros(lag + hours)
    for hour, count in counts.items():
        offset = int((hour - base) / HOUR)
        if 0 <= offset < len(values):
            values[offset] = count
    # Row k-1 holds each scored hour's count k weeks before; NaN before the first hour.
    offsets = np.arange(lag, lag + hours)
    history = np.stack([values[offsets - k * HOURS_PER_WEEK] for k in range(1, history_weeks + 1)])
    first = int((first_hour - base) / HOUR)
    history[
        np.stack([offsets - k * HOURS_PER_WEEK for k in range(1, history_weeks + 1)]) < first
    ] = np.nan
    scored = np.count_nonzero(~np.isnan(history), axis=0) >= MIN_HISTORY_WEEKS
    if not scored.any():
        return AnomalyScan(0, [])
    history, current = history[:, scored], values[offsets[scored]]
    median = np.nanmedian(history, axis=0)
    deviations = np.abs(history - median)
    mad = np.nanmedian(deviations, axis=0)
    scale = np.where(mad > 0, MAD_SCALE * mad, MEAN_AD_SCALE * np.nanmean(deviations, axis=0))
    scale = np.maximum(scale, np.sqrt(np.maximum(median, 1.0)))
    z = (current - median) / scale
    found = []
    for position in np.flatnonzero(np.abs(z) >= threshold):
        hour = start + int(offsets[scored][position] - lag) * HOUR
        found.append(
            Anomaly(hour, int(current[position]), float(median[position]), float(z[position]))
        )
    return AnomalyScan(int(scored.sum()), found)
