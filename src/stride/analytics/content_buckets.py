"""Log-scale time buckets: a median from learner counts per bucket, with a stated error bound."""

from __future__ import annotations

import math
from collections.abc import Mapping

# 8 buckets per doubling: a bucket spans a factor 2^(1/8), so its geometric midpoint is within
# 2^(1/16) - 1 (4.4%) of any time inside it.
BUCKETS_PER_DOUBLING = 8
RELATIVE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1
ZERO_BUCKET = -1  # no time reported (0 ms)


def time_bucket(ms: int) -> int:
    """The bucket of a duration in milliseconds: floor(8 * log2(ms)), or ZERO_BUCKET for 0."""
    if ms <= 0:
        return ZERO_BUCKET
    return math.floor(BUCKETS_PER_DOUBLING * math.log2(ms))


# Stored as fixed-width text (bucket + 1000, four digits), so text order is numeric order
# and the database can walk a histogram in its key order.
_KEY_OFFSET = 1000


def bucket_key(bucket: int) -> str:
    return f"{bucket + _KEY_OFFSET:04d}"


def bucket_of(key: str) -> int:
    return int(key) - _KEY_OFFSET


def bucket_midpoint_ms(bucket: int) -> float:
    """The geometric midpoint of a bucket (0 for ZERO_BUCKET)."""
    if bucket == ZERO_BUCKET:
        return 0.0
    return float(2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING))


def median_ms(counts: Mapping[int, int]) -> float | None:
    """The median duration from learner counts per bucket: the midpoint of the bucket holding
    the middle learner (the lower middle one when the count is even); None without learners."""
    total = sum(count for count in counts.values() if count > 0)
    if total == 0:
        return None
    rank = (total + 1) // 2
    seen = 0
    for bucket in sorted(counts):
        seen += max(counts[bucket], 0)
        if seen >= rank:
            return bucket_midpoint_ms(bucket)
    raise AssertionError("unreachable: the ranks add up to the total")
