"""Schemas of the custom report API (saved definitions and their runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from stride.store.report_schedules import DefinitionRow, RunRow

RunStatus = Literal["pending", "succeeded", "failed"]


class ReportDefinitionCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Weekly summary"])
    definition: dict[str, Any] = Field(
        default_factory=dict,
        description="`period` (week or month), `metrics` (names of GET /v1/reports/summary), "
        "`breakdown` (program, course or platform), `trend_periods` (2..24), "
        "`filters.groups` (breakdown values to keep)",
        examples=[{"period": "week", "metrics": ["active_learners"], "breakdown": "program"}],
    )
    cron: str | None = Field(
        default=None,
        max_length=200,
        description="Five-field cron expression in UTC; null: run on demand only",
        examples=["0 6 * * 1"],
    )
    delivery: dict[str, Any] | None = Field(
        default=None,
        description='{"kind": "webhook", "url": ...} (signed like webhooks) or '
        '{"kind": "directory", "path": ...} (under the operator\'s REPORT_DIRECTORIES); '
        "null: stored only",
    )
    format: str = Field(default="html", description="json, html, pdf or csv")
    enabled: bool = True


class ReportDefinitionPublic(BaseModel):
    id: str
    name: str
    definition: dict[str, Any]
    cron: str | None
    delivery: dict[str, Any] | None
    format: str
    enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, row: DefinitionRow) -> ReportDefinitionPublic:
        fields = ("id", "name", "definition", "cron", "delivery", "format", "enabled")
        return cls(**{name: getattr(row, name) for name in fields}, created_at=row.created_at)


class ReportDefinitionCreated(ReportDefinitionPublic):
    secret: str | None = Field(
        description="Signs webhook deliveries (`Stride-Signature`). Shown this once"
    )


class ReportDefinitionsPublic(BaseModel):
    definitions: list[ReportDefinitionPublic]


class ReportRunPublic(BaseModel):
    id: str
    report_id: str
    trigger: Literal["schedule", "manual"]
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    attempts: int = Field(description="Delivery attempts so far")
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    error: str | None
    output_path: str | None = Field(description="The file written, for directory delivery")
    content_type: str | None

    @classmethod
    def of(cls, row: RunRow) -> ReportRunPublic:
        return cls.model_validate(
            {name: getattr(row, name) for name in cls.model_fields}, from_attributes=False
        )


class ReportRunsPublic(BaseModel):
    runs: list[ReportRunPublic] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
