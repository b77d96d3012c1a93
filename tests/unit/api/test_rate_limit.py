"""The token bucket and the bounded limiter, on an injected clock."""

from __future__ import annotations

import pytest

from stride.api.rate_limit import RateLimiter, TokenBucket, retry_after_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_allows_its_capacity_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket.full(rate=2.0, capacity=3.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(0.25) == pytest.approx(0.25)


def test_tokens_refill_with_elapsed_time_up_to_capacity() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3.0, tokens=0.0, updated=0.0)
    assert bucket.take(0.5) == 0.0
    assert bucket.take(0.5) > 0
    bucket.refill(100.0)
    assert bucket.tokens == 3.0


def test_a_clock_stepping_back_refills_nothing() -> None:
    bucket = TokenBucket(rate=1.0, capacity=5.0, tokens=0.0, updated=10.0)
    bucket.refill(5.0)
    assert bucket.tokens == 0.0
    assert bucket.updated == 5.0


@pytest.mark.parametrize(
    ("wait", "seconds"), [(0.001, 1), (0.5, 1), (1.0, 1), (1.01, 2), (30.0, 30)]
)
def test_retry_after_rounds_up_to_at_least_one_second(wait: float, seconds: int) -> None:
    assert retry_after_seconds(wait) == seconds


def test_limiter_keeps_one_bucket_per_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1.0, burst=2, clock=clock)
    assert [limiter.take("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0.0
    clock.now += 1.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0


def test_limiter_drops_the_least_recently_used_bucket_past_max_keys() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock, max_keys=2)
    limiter.take("a")
    limiter.take("b")
    limiter.take("a")  # "a" is now the most recently used
    limiter.take("c")
    assert len(limiter) == 2
    assert limiter.take("a") > 0, "a's bucket was kept"
    assert limiter.take("b") == 0.0, "b's bucket was dropped, so b starts full again"


@pytest.mark.parametrize(("rate", "burst", "max_keys"), [(0.0, 1, 1), (1.0, 0, 1), (1.0, 1, 0)])
def test_limiter_rejects_settings_that_cannot_work(rate: float, burst: int, max_keys: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate=rate, burst=burst, clock=FakeClock(), max_keys=max_keys)
