"""Response documents of the report endpoints (format=json)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _FromAttributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PeriodPublic(_FromAttributes):
    kind: str = Field(description="`week` (Monday to Sunday) or `month` (calendar month)")
    start: date
    end: date = Field(description="Last day, inclusive")
    complete: bool = Field(description="The period ended before today")


class FigurePublic(_FromAttributes):
    key: str
    label: str
    unit: str = Field(description="minutes, days or count")
    value: float | None
    previous: float | None = Field(description="The same figure in the previous period")


class ChangePublic(_FromAttributes):
    kind: str = Field(description="skill, module, program or course")
    id: str
    name: str
    before: float | None = Field(description="0..1 at the previous period's end; null: new")
    after: float = Field(description="0..1 at the period's end")


class ChallengePublic(_FromAttributes):
    kind: str = Field(description="stalled_skill, missed_goal or less_time")
    id: str | None
    text: str
    value: float | None
    target: float | None


class EarnedPublic(_FromAttributes):
    id: str
    name: str
    points: int
    awarded_at: datetime


class AdvicePublic(_FromAttributes):
    kind: str
    reason: str
    activity_id: str | None
    skill_id: str | None


class SuggestedGoalPublic(_FromAttributes):
    kind: str = Field(description="A goal kind POST /v1/learners/{id}/goals accepts")
    target: int
    unit: str
    reason: str = Field(description="How the target follows from the learner's own weeks")


class DayPublic(_FromAttributes):
    day: date
    minutes: float
    events: int
    sessions: int
    completed: int = Field(description="Activities completed by the end of the day")


class RadarPointPublic(_FromAttributes):
    dimension_id: str
    name: str
    mastery: float | None


class LearnerReportPublic(_FromAttributes):
    learner_id: str
    timezone: str
    period: PeriodPublic
    previous: PeriodPublic
    generated_at: datetime
    summary: list[FigurePublic]
    programs: list[ChangePublic] = Field(description="Enrolled programs and courses")
    achievements: list[EarnedPublic] = Field(description="Earned in the period")
    improvements: list[ChangePublic] = Field(description="Skills and modules that rose")
    challenges: list[ChallengePublic]
    recommendations: list[AdvicePublic]
    recommendations_note: str | None
    suggested_goals: list[SuggestedGoalPublic]
    days: list[DayPublic] = Field(description="The 90 days ending on the period's last day")
    radar: list[RadarPointPublic]


class MetricPublic(_FromAttributes):
    key: str
    label: str
    unit: str = Field(description="count, minutes, percent (0..1) or points (mastery, 0..1)")
    value: float | None = Field(description="null: withheld or not available")
    previous: float | None
    change: float | None = Field(description="Relative change; null when previous is 0 or null")


class TrendPointPublic(_FromAttributes):
    start: date
    active_learners: int
    time_invested_minutes: float


class GroupFigurePublic(_FromAttributes):
    value: str
    active_learners: int | None
    previous: int | None


class DimensionFigurePublic(_FromAttributes):
    dimension_id: str
    name: str
    learners: int
    mean_start: float
    mean_end: float
    growth: float


class TenantReportPublic(_FromAttributes):
    tenant_id: str
    tenant_name: str
    period: PeriodPublic
    previous: PeriodPublic
    generated_at: datetime
    metrics: list[MetricPublic]
    highlights: list[str] = Field(description="Sentences computed from the metrics alone")
    trend: list[TrendPointPublic]
    groups: list[GroupFigurePublic]
    dimensions: list[DimensionFigurePublic]
    notes: list[str]
