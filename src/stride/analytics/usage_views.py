"""Response shapes of the usage, metrics and funnel analytics (documented in /openapi.json)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Withheld(BaseModel):
    min_group_size: int = Field(description="The tenant's k: smaller groups are not shown")
    withheld_groups: int = Field(description="How many groups (or cells) were withheld")
    note: str | None = None


class UsagePoint(BaseModel):
    start: date = Field(description="First day of the period (UTC)")
    events: int
    learners: int = Field(description="Distinct learners with an event of the type in the period")


class UsageSeries(BaseModel):
    type: str
    learners_ever: int = Field(description="Distinct learners who ever sent the type")
    points: list[UsagePoint]


class AdoptionItem(BaseModel):
    name: str = Field(description="An event type, or a feature (type prefix ending with '.')")
    adopters: int = Field(description="Learners whose first use is on or after `since`")
    earlier_users: int = Field(description="Learners who used it before `since`")
    share_of_active: float | None = Field(
        description="adopters / learners active on or after `since`"
    )


class Adoption(BaseModel):
    since: date
    active_learners: int = Field(description="Learners with any event on or after `since`")
    items: list[AdoptionItem]


class UsageView(BaseModel):
    period: str
    start: date = Field(description="First day covered (start of the first period)")
    end: date = Field(description="Last day covered (end of the last period)")
    series: list[UsageSeries]
    adoption: Adoption | None
    privacy: Withheld


class MetricPoint(BaseModel):
    start: date
    count: int = Field(description="Events with the field (all events of the type without one)")
    learners: int = Field(description="Distinct learners with an event of the type (and group)")
    sum: float | None
    mean: float | None
    min: float | None
    max: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None


class MetricGroup(BaseModel):
    value: str | None = Field(description="The breakdown value; null without a breakdown")
    points: list[MetricPoint]


class MetricsView(BaseModel):
    type: str
    field: str | None
    breakdown: str | None
    period: str
    start: date
    end: date
    relative_error: float = Field(description="Bound on the percentiles' relative error")
    groups: list[MetricGroup]
    privacy: Withheld


class FunnelStep(BaseModel):
    step: str = Field(description="`<type>` or `<type>:<activity id>`")
    learners: int
    conversion_from_start: float | None
    conversion_from_previous: float | None
    median_seconds_from_previous: float | None
    median_seconds_from_start: float | None


class FunnelView(BaseModel):
    order: str
    window_days: float
    entered_from: date | None
    entered_to: date | None
    steps: list[FunnelStep]


class DropOffLearner(BaseModel):
    learner_key: str = Field(description="Stride's pseudonymous key of the learner")


class DropOffsView(BaseModel):
    step: int = Field(description="Learners reached this step (1-based) and not the next")
    total: int
    limit: int
    offset: int
    learners: list[DropOffLearner]
