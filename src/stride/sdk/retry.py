"""When to retry a delivery and how long to wait; pure functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# The longest wait taken from a Retry-After header (a misconfigured proxy must not park the
# client for hours).
MAX_RETRY_AFTER_S = 300.0

RETRYABLE_4XX = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """408, 429 and every 5xx are worth another try; other statuses will not change."""
    return status in RETRYABLE_4XX or 500 <= status <= 599


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))].

    `attempt` counts failures of the same batch from 1.
    """
    exponent = min(max(attempt - 1, 0), 62)
    ceiling = min(cap, base * (2.0**exponent))
    return rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date.

    None when absent or unreadable; never negative; capped at MAX_RETRY_AFTER_S.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    seconds: float
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" in an HTTP-date means UTC as well
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now if now is not None else datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
