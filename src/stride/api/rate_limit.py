"""Token buckets per caller, bounded in memory; the clock is passed in, so no test sleeps."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    """Holds up to `capacity` tokens and refills at `rate` tokens per second."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, capacity: float, now: float) -> TokenBucket:
        return cls(rate, capacity, capacity, now)

    def refill(self, now: float) -> None:
        # A clock that steps back (it should not: callers pass a monotonic one) refills nothing.
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def take(self, now: float) -> float:
        """Take one token: 0.0 when taken, otherwise the seconds until one is available."""
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def retry_after_seconds(wait: float) -> int:
    """`Retry-After` takes whole seconds: round up so a client that obeys is let through."""
    return max(1, math.ceil(wait))


class RateLimiter:
    """One token bucket per key, for one process.

    Not locked: it is only used from the event loop's thread, and `take` never awaits, so
    no two requests interleave inside it. Memory is bounded by dropping the least recently
    used bucket past `max_keys`; a bucket idle for `capacity / rate` seconds is full again,
    so dropping one that old loses nothing.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float],
        max_keys: int = 100_000,
    ) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate must be > 0, burst and max_keys >= 1")
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Take one token from `key`'s bucket: 0.0 when allowed, else seconds to wait."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket.full(self.rate, float(self.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(now)
