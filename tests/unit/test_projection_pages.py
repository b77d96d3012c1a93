"""The projection process sizes its SQLite pages by how long each held the write lock (each
holds ingest off), and folds long ones on PostgreSQL (where a page's cost is mostly per
learner it touches)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stride.analytics.page_sizer import PageSizer
from stride.analytics.projection_job import PAGE, POSTGRESQL_PAGE, page_for
from stride.analytics.projection_process import page_sizer
from stride.config import Settings


def test_quick_pages_grow_towards_the_hold_time() -> None:
    sizer = PageSizer(size=1000, smallest=1000, largest=5000, hold_s=0.3)
    sizer.held(1000, 0.1)  # 0.1 ms an event: 3,000 would take 0.3 s
    assert sizer.size == 2000  # halfway there
    sizer.held(2000, 0.2)
    assert sizer.size == 2500
    for _ in range(20):
        sizer.held(sizer.size, sizer.size * 0.0001)
    assert 2900 <= sizer.size <= 3000


def test_slow_pages_shrink_and_sizes_stay_within_bounds() -> None:
    sizer = PageSizer(size=5000, smallest=1000, largest=5000, hold_s=0.3)
    sizer.held(5000, 3.0)  # 0.6 ms an event: 500 would take 0.3 s
    assert sizer.size == 2750
    for _ in range(10):
        sizer.held(sizer.size, sizer.size * 0.0006)
    assert sizer.size == 1000  # never below the smallest
    for _ in range(10):
        sizer.held(sizer.size, sizer.size * 0.00001)
    assert sizer.size == 5000  # nor above the largest


def test_by_default_quick_pages_grow_past_the_readers_page() -> None:
    """Pages of 20,000 fold for half the CPU an event of pages of 5,000 (docs/benchmarks.md):
    the process's pages grow that far when the lock allows."""
    sizer = page_sizer("sqlite", Settings().ANALYTICS_PAGE_HOLD_SECONDS)
    assert sizer is not None
    for _ in range(20):
        sizer.held(sizer.size, sizer.size * 0.00004)  # 40 us an event: 25,000 a second
    assert sizer.size == 20_000 > PAGE


def test_short_pages_do_not_resize() -> None:
    sizer = PageSizer(size=2000, smallest=1000)
    sizer.held(120, 0.2)  # the tail of a backlog: its fixed costs dominate
    sizer.held(3000, 0.0)  # no time measured
    assert sizer.size == 2000


def test_a_catch_up_folds_larger_pages_on_postgresql() -> None:
    assert page_for("sqlite") == PAGE
    assert page_for("postgresql") == POSTGRESQL_PAGE > PAGE


def test_the_process_sizes_pages_on_sqlite_only_with_the_configured_hold() -> None:
    sizer = page_sizer("sqlite", 0.2)
    assert sizer is not None and sizer.hold_s == 0.2
    assert page_sizer("postgresql", 0.2) is None


def test_the_hold_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().ANALYTICS_PAGE_HOLD_SECONDS == 1.0
    monkeypatch.setenv("STRIDE_ANALYTICS_PAGE_HOLD_SECONDS", "0.2")
    assert Settings().ANALYTICS_PAGE_HOLD_SECONDS == 0.2
    monkeypatch.setenv("STRIDE_ANALYTICS_PAGE_HOLD_SECONDS", "0")
    with pytest.raises(ValidationError):
        Settings()
