"""Schemas of the learner read API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _FromViews(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ProgressPublic(_FromViews):
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


class ActivityPublic(_FromViews):
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


class ActivitiesPublic(BaseModel):
    data: list[ActivityPublic]
    limit: int
    offset: int


class DayPublic(_FromViews):
    day: date
    events: int
    active_s: float
    sessions: int


class TimelinePublic(_FromViews):
    learner_key: str
    timezone: str
    start: date
    end: date
    days: list[DayPublic]


class LearnerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64, examples=["Asia/Tokyo"])


class LearnerPublic(_FromViews):
    learner_key: str
    timezone: str
