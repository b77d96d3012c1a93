"""The one place Stride reads the wall clock, so callers can pass `now` in."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
