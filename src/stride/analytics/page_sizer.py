"""How many events the projection process folds per page on SQLite.

A page is one write transaction, and on SQLite that holds ingest off while it runs. Larger
pages cost less per event (each learner's engagement windows are read and written once a
page, whatever number of her events it holds): measured in-process at 50,000 stored, pages of
5,000 folded about twice as fast as pages of 1,000, and held the lock 0.13 ms an event
against 0.21; at 100,000 stored, pages of 25,000 took 4.7 CPU s where pages of 5,000 took
8.3, and held the lock 45 us an event against 60-100. So the process sizes each page by how
long the last one held the lock: as many events as take about `hold_s`, between `smallest`
and `largest`. What that is depends on the
machine and on the events (an xAPI page touches more learners per event than a demo page),
so it is measured rather than set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PageSizer:
    """The next page's size, from the write-lock time of the pages before it."""

    size: int = 1000
    smallest: int = 1000
    largest: int = 20_000
    hold_s: float = 0.5

    def held(self, events: int, seconds: float) -> None:
        """Record that a page of `events` held the write lock for `seconds`."""
        if events < self.smallest // 2 or seconds <= 0:
            return  # a short page's fixed costs say little about a full one's
        wanted = round(self.hold_s * events / seconds)
        # Halfway there: one slow page (a checkpoint, a busy core) does not swing the size.
        self.size = max(self.smallest, min(self.largest, (self.size + wanted) // 2))
