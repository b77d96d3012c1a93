"""How late events arrive: lateness bands and a mergeable log-spaced histogram (pure).

Lateness is received_at minus the event's timestamp, in seconds; it is negative when the
event's time lies ahead of its arrival (the sender's clock runs fast: clock skew).

The histogram keeps a count per bucket. Bucket 0 holds lateness within 1 ms either way;
bucket i > 0 holds lateness in (GAMMA**(i-1), GAMMA**i] milliseconds, bucket -i the same ahead.
Buckets of several days add up, so quantiles of any period come from the days' counts, and
each quantile is within RELATIVE_ERROR of a true value of that rank (as in DDSketch).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
_ON_TIME_MS = 1.0

AHEAD = -1  # the band of events whose time lies ahead of their arrival by more than 1 ms
# Bands of lateness, by upper bound in seconds (exclusive); the last one is unbounded.
BAND_LIMITS: tuple[tuple[str, float], ...] = (
    ("under_1_minute", 60.0),
    ("under_1_hour", 3_600.0),
    ("under_1_day", 86_400.0),
    ("under_7_days", 7 * 86_400.0),
    ("older", math.inf),
)
BAND_NAMES: tuple[str, ...] = tuple(name for name, _ in BAND_LIMITS)
_BAND_LIMITS_US = np.array([round(limit * 1e6) for _, limit in BAND_LIMITS[:-1]], dtype=np.int64)
_ON_TIME_US = 1000


def delay_bucket(lateness_s: float) -> int:
    """The signed histogram bucket of a lateness in seconds (whole microseconds count)."""
    return int(delay_buckets(np.array([round(lateness_s * 1e6)], dtype=np.int64))[0])


def delay_buckets(lateness_us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The signed histogram buckets of lateness values in microseconds."""
    millis = np.abs(lateness_us) / 1000.0
    late = millis > _ON_TIME_MS
    index = np.zeros(len(millis), dtype=np.int64)
    index[late] = np.maximum(1, np.ceil(np.log(millis[late]) / _LOG_GAMMA)).astype(np.int64)
    return np.where(lateness_us < 0, -index, index)


def bucket_value(bucket: int) -> float:
    """The value (seconds) a bucket stands for: within RELATIVE_ERROR of all it holds."""
    if bucket == 0:
        return 0.0
    size = abs(bucket)
    millis = 2.0 * GAMMA**size / (GAMMA + 1.0)
    return math.copysign(millis / 1000.0, bucket)


def lateness_band(lateness_s: float) -> int:
    """AHEAD, or the index in BAND_LIMITS of the first band the lateness lies under."""
    return int(lateness_bands(np.array([round(lateness_s * 1e6)], dtype=np.int64))[0])


def lateness_bands(lateness_us: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """lateness_band of lateness values in microseconds."""
    bands = np.searchsorted(_BAND_LIMITS_US, lateness_us, side="right").astype(np.int64)
    return np.where(lateness_us < -_ON_TIME_US, AHEAD, bands)


def histogram_quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) of a histogram's values, None when it is empty.

    Nearest rank: the value of rank ceil(q * n) (1-based) in ascending order, as the bucket's
    value; so p99 of fewer than 100 events is their maximum.
    """
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(math.ceil(q * total - 1e-9) - 1, 0)  # 0-based; 1e-9 absorbs 0.9 * 10 = 9.0000001
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen > rank:
            return bucket_value(bucket)
    raise AssertionError("the rank lies within the total")


def merge_histograms(histograms: list[Mapping[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            merged[bucket] = merged.get(bucket, 0) + count
    return merged
