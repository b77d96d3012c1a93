"""The projection process folds SQLite pages of the size its PageSizer says, and tells it how
long each page held the write lock: from the lock taken to the commit, not the wait for it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from stride.analytics.page_sizer import PageSizer
from stride.analytics.projection_job import catch_up, catch_up_all
from stride.ingest.pipeline import ingest_events
from stride.store.transactions import write_transaction
from tests.store.test_analytics_engagement import LIMITS, NOW, _events, _tenant


@dataclass
class _Recording(PageSizer):
    """Records every page, and asks for one event more each time."""

    pages: list[tuple[int, float]] = field(default_factory=list)

    def held(self, events: int, seconds: float) -> None:
        self.pages.append((events, seconds))
        self.size += 1


def test_pages_are_the_sizers_and_it_hears_of_each(sqlite_engine: Engine) -> None:
    tenant = _tenant(sqlite_engine)
    ingest_events(sqlite_engine, tenant.scope, _events(), LIMITS, NOW)
    assert len(_events()) == 12
    sizer = _Recording(size=3)
    assert catch_up_all(sqlite_engine, [tenant.tenant_id], sizer=sizer) == 12
    assert [events for events, _ in sizer.pages] == [3, 4, 5]
    assert all(seconds > 0 for _, seconds in sizer.pages)


def test_the_time_held_leaves_out_the_wait_for_the_lock(sqlite_engine: Engine) -> None:
    tenant = _tenant(sqlite_engine)
    ingest_events(sqlite_engine, tenant.scope, _events(), LIMITS, NOW)
    locked, release = threading.Event(), threading.Event()

    def writer_holding_the_lock() -> None:
        with write_transaction(sqlite_engine):
            locked.set()
            release.wait(5)

    other = threading.Thread(target=writer_holding_the_lock)
    other.start()
    assert locked.wait(5)
    threading.Timer(0.6, release.set).start()
    sizer = _Recording(size=100)
    started = time.perf_counter()
    assert catch_up(sqlite_engine, tenant.tenant_id, sizer=sizer) == 12
    other.join()
    assert time.perf_counter() - started >= 0.6  # it waited for the other writer
    [(events, seconds)] = sizer.pages
    assert events == 12
    assert seconds < 0.5
