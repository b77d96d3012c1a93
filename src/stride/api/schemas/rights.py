"""Schemas of the learner-rights API: the data export and the erasure report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class LearnerExportPublic(BaseModel):
    learner_key: str = Field(description="The pseudonymous key Stride stores the learner under")
    exported_at: datetime
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Every learner-tied table, with all of the learner's rows: events in log "
        "order, other tables in primary-key order; instants in ISO 8601 UTC"
    )


class ErasurePublic(BaseModel):
    erased_at: datetime
    tables: dict[str, int] = Field(description="Rows deleted, per table")
    total: int = Field(description="Rows deleted in all; 0 when nothing was held")
