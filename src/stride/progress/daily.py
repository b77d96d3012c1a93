"""Daily rollups: a learner's activity per local calendar day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from stride.events.recorded import RecordedEvent
from stride.events.types import SESSION_EVENT_TYPES
from stride.progress.activity import duration_ms


@dataclass(frozen=True, slots=True)
class DayActivity:
    """Read model: one learner x one local day."""

    learner_key: str
    day: date
    events: int
    activity_ms: int
    session_ms: int
    sessions: tuple[str, ...]

    @property
    def active_ms(self) -> int:
        # Platforms report time either per activity or per session (or both, overlapping):
        # the larger of the two is the best estimate of time on task that day.
        return max(self.activity_ms, self.session_ms)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# Every fold of a batch (days, streaks, goals, achievements, analytics) asks for the same
# events' local days: a hit costs a third of the conversion. Enough for a large batch's events.
@lru_cache(maxsize=16_384)
def local_day(instant: datetime, timezone: str) -> date:
    return instant.astimezone(zone(timezone)).date()


def apply_to_day(state: DayActivity | None, event: RecordedEvent, day: date) -> DayActivity:
    """Fold one event into the rollup of the local day it fell on."""
    current = state or DayActivity(event.learner_key, day, 0, 0, 0, ())
    ms = duration_ms(event)
    is_session_event = event.type in SESSION_EVENT_TYPES
    sessions = current.sessions
    if event.session is not None and event.session not in sessions:
        sessions = tuple(sorted((*sessions, event.session)))
    return DayActivity(
        learner_key=current.learner_key,
        day=current.day,
        events=current.events + 1,
        activity_ms=current.activity_ms + (0 if is_session_event else ms),
        session_ms=current.session_ms + (ms if is_session_event else 0),
        sessions=sessions,
    )
