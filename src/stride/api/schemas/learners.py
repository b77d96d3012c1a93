"""Schemas of the learner read API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _FromViews(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StreakPublic(_FromViews):
    current: int
    longest: int
    freezes_per_month: int = Field(description="The tenant's allowance (catalog streaks)")
    freezes_used: int = Field(description="Freezes used in the current local month")
    freezes_left: int
    frozen_days: list[date] = Field(description="Days bridged by a freeze this month")


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
    streak: StreakPublic


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

    timezone: str | None = Field(None, min_length=1, max_length=64, examples=["Asia/Tokyo"])
    display_handle: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        examples=["PlanningPanda"],
        description="Shown on leaderboards instead of the learner; null clears it. No personal "
        "data (e-mail, phone...) and not the learner's id. Need not be unique.",
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> LearnerUpdate:
        if not self.model_fields_set & {"timezone", "display_handle"}:
            raise ValueError("send timezone, display_handle or both")
        if "timezone" in self.model_fields_set and self.timezone is None:
            raise ValueError("timezone cannot be null")
        return self


class LearnerPublic(_FromViews):
    learner_key: str
    timezone: str
    display_handle: str | None = None
