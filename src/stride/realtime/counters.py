"""A tenant's live counters: events per second over the last 10 s, learners active in the
last 5 minutes; fed with the ordinary events the follower reads, by their receipt time."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from stride.realtime.messages import FeedEntry

RATE_WINDOW = timedelta(seconds=10)
ACTIVE_WINDOW = timedelta(minutes=5)


class LiveCounters:
    def __init__(self) -> None:
        self._received: deque[datetime] = deque()
        self._last_seen: dict[str, datetime] = {}

    def record(self, entries: Iterable[FeedEntry]) -> None:
        for entry in entries:
            if entry.derived:
                continue
            self._received.append(entry.received_at)
            seen = self._last_seen.get(entry.learner_key)
            if seen is None or seen < entry.received_at:
                self._last_seen[entry.learner_key] = entry.received_at

    def snapshot(self, now: datetime) -> tuple[float, int]:
        """(events per second, active learners) at `now`; forgets what fell out of the windows."""
        rate_since, active_since = now - RATE_WINDOW, now - ACTIVE_WINDOW
        # Receipt times are nearly ordered; the few out of order only linger a little longer.
        while self._received and self._received[0] < rate_since:
            self._received.popleft()
        recent = sum(1 for at in self._received if at >= rate_since)
        for learner in [k for k, at in self._last_seen.items() if at < active_since]:
            del self._last_seen[learner]
        return recent / RATE_WINDOW.total_seconds(), len(self._last_seen)
