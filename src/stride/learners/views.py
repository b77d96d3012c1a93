"""What the learner queries return: plain dataclasses, converted to schemas at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class StreakView:
    """The streak with its freezes; freezes and frozen days count the current local month."""

    current: int
    longest: int
    freezes_per_month: int
    freezes_used: int
    freezes_left: int
    frozen_days: tuple[date, ...]


NO_STREAK_VIEW = StreakView(0, 0, 0, 0, 0, ())


@dataclass(frozen=True)
class ProgressView:
    learner_key: str
    timezone: str
    events: int
    first_seen: datetime | None
    last_active: datetime | None
    active_days: int
    total_time_s: float
    current_streak: int
    longest_streak: int
    activities_completed: int
    activities_in_progress: int
    streak: StreakView = NO_STREAK_VIEW


@dataclass(frozen=True)
class ActivityView:
    activity_id: str
    activity_type: str | None
    status: str
    attempts: int
    best_score: float | None
    last_score: float | None
    time_spent_s: float
    first_seen: datetime
    last_seen: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class DayView:
    day: date
    events: int
    active_s: float
    sessions: int


@dataclass(frozen=True)
class TimelineView:
    learner_key: str
    timezone: str
    start: date
    end: date
    days: list[DayView]


@dataclass(frozen=True)
class ProfileView:
    learner_key: str
    timezone: str
    display_handle: str | None = None
