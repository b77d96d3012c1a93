"""Response documents of the engagement, retention and lifecycle endpoints."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _FromAttributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EngagementPointPublic(_FromAttributes):
    period_start: date
    period_end: date
    complete: bool = Field(description="The period ended before today")
    active_learners: int = Field(description="Distinct learners active in the period")
    dau: float = Field(description="Daily active learners, averaged over the period's days")
    wau: int = Field(description="Learners active in the 7 days ending on the period's last day")
    mau: int = Field(description="Learners active in the 30 days ending on the period's last day")
    stickiness: float | None = Field(description="dau / mau")
    events: int
    sessions: int
    sessions_per_learner: float | None
    session_length_ms: float | None = Field(description="time_invested_ms / sessions")
    time_invested_ms: int
    time_per_learner_ms: float | None


class EngagementGroupPublic(_FromAttributes):
    value: str
    learners: int = Field(description="Group size judged for suppression")
    series: list[EngagementPointPublic]


class EngagementPublic(_FromAttributes):
    period: str
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    breakdown: str | None
    series: list[EngagementPointPublic]
    groups: list[EngagementGroupPublic]
    withheld_groups: int
    min_group_size: int
    note: str | None


class RetentionCellPublic(_FromAttributes):
    period: int
    learners: int | None = Field(description="None for a period that has not started")
    share: float | None
    complete: bool = Field(description="False while the period is still running")


class CohortPublic(_FromAttributes):
    cohort_start: date
    size: int
    cells: list[RetentionCellPublic]


class MeanCellPublic(_FromAttributes):
    period: int
    share: float | None
    cohorts: int


class RetentionPublic(_FromAttributes):
    period: str
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    start_event: str
    return_event: str
    entry: str
    mode: str
    periods: int
    cohorts: list[CohortPublic]
    mean: list[MeanCellPublic]
    withheld_cohorts: int
    min_group_size: int
    note: str | None
    program: str | None = Field(
        description="The program whose learners' activity in it the cohorts count, or None"
    )


class LifecyclePointPublic(_FromAttributes):
    period_start: date
    period_end: date
    complete: bool
    active: int
    new: int
    returning: int
    resurrecting: int
    dormant: int = Field(description="Active in the period before, not in this one (positive)")


class LifecyclePublic(_FromAttributes):
    period: str
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    program: str | None = Field(description="The program whose learners are counted, or None")
    series: list[LifecyclePointPublic] = Field(
        description="Empty when the program's group is withheld (see withheld_groups)"
    )
    withheld_groups: int = Field(description="1 when the program is below min_group_size")
    min_group_size: int
    note: str | None
