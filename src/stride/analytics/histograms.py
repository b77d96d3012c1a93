"""Mergeable log-spaced histograms: percentiles with a bounded relative error, from counts.

A value v > 0 falls in bucket i = ceil(log(v) / log(GAMMA)), which covers (GAMMA^(i-1), GAMMA^i];
GAMMA = (1 + ALPHA) / (1 - ALPHA). Reporting 2 * GAMMA^i / (GAMMA + 1) for any value of the
bucket is off by at most ALPHA (1 %) of the true value (the DDSketch construction). Negative
values mirror positive ones; |v| below MIN_MAGNITUDE counts as zero. A histogram is only a map
bucket key -> count, so merging is adding counts: any order, any split, the same result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
MIN_MAGNITUDE = 1e-9  # smaller magnitudes count as zero
MAX_MAGNITUDE = 1e12  # larger ones are not rolled up at all (see metrics_fields)
# Keys of positive values are index + BIAS (always > 0), of negative ones -(index + BIAS), so
# sorting keys sorts values; 0 holds the zeros.
_BIAS = 1 << 20
ZERO = 0


def bucket_of(value: float) -> int:
    """The bucket key of a finite value with |value| <= MAX_MAGNITUDE."""
    magnitude = abs(value)
    if magnitude < MIN_MAGNITUDE:
        return ZERO
    index = math.ceil(math.log(magnitude) / _LOG_GAMMA) + _BIAS
    return index if value > 0 else -index


def representative(key: int) -> float:
    """The value reported for a bucket: within ALPHA of every value in it, relatively."""
    if key == ZERO:
        return 0.0
    index = abs(key) - _BIAS
    value = 2 * GAMMA**index / (GAMMA + 1)
    return value if key > 0 else -value


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for key, count in histogram.items():
            merged[key] = merged.get(key, 0) + count
    return merged


def percentiles(
    histogram: Mapping[int, int],
    quantiles: Sequence[float],
    lowest: float | None = None,
    highest: float | None = None,
) -> list[float | None]:
    """Nearest-rank percentiles (rank ceil(q * n), at least 1) read from the buckets.

    `lowest`/`highest` (the exact min and max seen) clamp the estimates, so p0 and p100 are exact.
    None for an empty histogram.
    """
    total = sum(histogram.values())
    if total == 0:
        return [None for _ in quantiles]
    keys = sorted(k for k, c in histogram.items() if c > 0)
    answers: list[float | None] = []
    for q in quantiles:
        rank = max(1, math.ceil(q * total))
        seen = 0
        for key in keys:
            seen += histogram[key]
            if seen >= rank:
                answers.append(_clamp(representative(key), lowest, highest))
                break
    return answers


def _clamp(value: float, lowest: float | None, highest: float | None) -> float:
    if lowest is not None and value < lowest:
        return lowest
    if highest is not None and value > highest:
        return highest
    return value
