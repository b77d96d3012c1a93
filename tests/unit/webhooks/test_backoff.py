"""The retry schedule: exponential ceilings, full jitter, a cap, and when to give up."""

from __future__ import annotations

import random

import pytest

from stride.webhooks.backoff import RetryPolicy, gives_up, retry_delay

POLICY = RetryPolicy(base_s=2.0, cap_s=3600.0, max_attempts=10)


def test_a_seeded_schedule_is_reproducible() -> None:
    first = [retry_delay(n, random.Random(7), POLICY) for n in range(1, 11)]
    again = [retry_delay(n, random.Random(7), POLICY) for n in range(1, 11)]
    assert first == again


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(1, 2.0), (2, 4.0), (3, 8.0), (6, 64.0), (11, 2048.0), (12, 3600.0), (40, 3600.0)],
)
def test_delays_stay_under_the_exponential_ceiling_and_the_cap(
    attempts: int, ceiling: float
) -> None:
    rng = random.Random(attempts)
    delays = [retry_delay(attempts, rng, POLICY) for _ in range(500)]
    assert all(0.0 <= d <= ceiling for d in delays)
    # Full jitter: spread over the whole range, not bunched at the ceiling.
    assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9


def test_huge_attempt_counts_do_not_overflow() -> None:
    assert 0.0 <= retry_delay(10_000, random.Random(1), POLICY) <= POLICY.cap_s


@pytest.mark.parametrize(("attempts", "expected"), [(1, False), (9, False), (10, True), (11, True)])
def test_gives_up_at_max_attempts(attempts: int, expected: bool) -> None:
    assert gives_up(attempts, POLICY) is expected
