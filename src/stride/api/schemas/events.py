"""Schemas of the ingest endpoint (documentation of the body and of the per-event results)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from stride.events.schema import Event


class EventBatch(BaseModel):
    events: list[Event] = Field(max_length=1000)


class FieldErrorPublic(BaseModel):
    path: str
    reason: str


class EventResultPublic(BaseModel):
    index: int
    id: str | None
    status: Literal["accepted", "duplicate", "conflict", "rejected"]
    reason: Literal["invalid", "pii", "consent", "retention"] | None = None
    error: FieldErrorPublic | None = None
    errors: list[FieldErrorPublic] | None = None


class IngestResultPublic(BaseModel):
    accepted: int
    duplicates: int
    conflicts: int
    rejected: int
    results: list[EventResultPublic]
