"""Backoff with full jitter, Retry-After parsing, and which answers are retried."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.sdk.delivery import Acknowledged, GiveUp, Retry, TooLarge, interpret
from stride.sdk.retry import (
    MAX_RETRY_AFTER_S,
    backoff_delay,
    is_retryable_status,
    parse_retry_after,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@given(attempt=st.integers(1, 200), seed=st.integers(0, 2**32))
def test_backoff_is_within_the_exponential_ceiling(attempt: int, seed: int) -> None:
    delay = backoff_delay(attempt, 0.5, 30.0, random.Random(seed))
    assert 0.0 <= delay <= min(30.0, 0.5 * 2 ** (attempt - 1))


def test_backoff_uses_full_jitter() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(6, 0.5, 30.0, rng) for _ in range(2000)]
    # Uniform on [0, 16]: spread over the whole range, not clustered at the ceiling.
    assert min(delays) < 1.0 and max(delays) > 15.0
    assert 7.0 < sum(delays) / len(delays) < 9.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("99999", MAX_RETRY_AFTER_S),
        (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
        ("Mon, 23 Nov 2026 12:00:10 GMT", 10.0),
        (format_datetime(NOW - timedelta(seconds=5), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable(status: int) -> None:
    assert is_retryable_status(status)
    verdict = interpret(status, "3", b"", 1, NOW)
    assert verdict == Retry(f"HTTP {status}", 3.0)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 415, 422])
def test_other_4xx_give_up(status: int) -> None:
    assert not is_retryable_status(status)
    body = b'{"title": "Unauthorized", "detail": "bad key", "code": "unauthenticated"}'
    assert interpret(status, None, body, 2, NOW) == GiveUp(status, "unauthenticated", "bad key")


def test_413_asks_for_smaller_batches() -> None:
    assert interpret(413, None, b"", 5, NOW) == TooLarge()


def test_2xx_must_answer_for_every_event() -> None:
    ok = b'{"results": [{"index": 0, "status": "accepted"}, {"index": 1, "status": "duplicate"}]}'
    assert isinstance(interpret(200, None, ok, 2, NOW), Acknowledged)
    assert isinstance(interpret(200, None, ok, 3, NOW), Retry)
    assert isinstance(interpret(200, None, b"<html>", 2, NOW), Retry)
