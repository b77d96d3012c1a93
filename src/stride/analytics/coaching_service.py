"""GET /v1/analytics/coaching: practice completion and meeting analyses over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from stride.analytics.coaching import (
    MeetingFigures,
    MeetingRow,
    PracticeFigures,
    meeting_figures,
    practice_figures,
)
from stride.analytics.content_rollup import ACTIVITY
from stride.privacy.policy_service import get_policy
from stride.store import analytics_learning as store
from stride.store.catalogs import load_catalog


@dataclass(frozen=True)
class CoachingView:
    start: datetime
    end: datetime
    min_group_size: int
    practice: PracticeFigures | None  # all time; None when no exercise reaches min_group_size
    withheld_exercises: int
    meetings: MeetingFigures | None  # None when fewer than min_group_size learners uploaded
    meetings_withheld: bool
    event_types: dict[str, list[str]]  # which event types feed which figure
    note: str | None


EVENT_TYPES = {
    "practice": [
        "activity.started",
        "activity.progressed",
        "activity.completed",
        "exercise.attempted",
        "assessment.submitted",
    ],
    "meetings": ["meeting.uploaded", "meeting.analyzed", "meeting.failed"],
}


def get_coaching(
    connection: Connection, tenant_id: str, start: datetime, end: datetime
) -> CoachingView:
    k = get_policy(connection, tenant_id).document.min_group_size
    stored = load_catalog(connection, tenant_id)
    exercises = (
        [a.id for a in stored.catalog.activities.values() if a.type == "exercise"] if stored else []
    )
    rows = store.content_stat_rows(connection, tenant_id, exercises) if exercises else []
    counted = [(r.starts, r.completions) for r in rows if r.level == ACTIVITY]
    shown = [pair for pair in counted if pair[0] >= k]
    practice = practice_figures(shown) if shown else None
    meeting_rows = [
        MeetingRow(r.learner_key, r.uploaded_at, r.analyzed_at, r.failed_at)
        for r in store.meeting_rows(connection, tenant_id, start, end)
    ]
    meetings = meeting_figures(meeting_rows, (end - start).total_seconds() / 86400)
    withheld = meetings.learners < k
    notes = []
    if len(counted) > len(shown):
        notes.append(
            f"{len(counted) - len(shown)} exercise(s) with fewer than {k} learners "
            "are left out of the practice figures."
        )
    if withheld:
        notes.append(
            f"Meeting figures are withheld: fewer than {k} learners uploaded "
            "meetings in the period."
        )
    return CoachingView(
        start,
        end,
        k,
        practice,
        len(counted) - len(shown),
        None if withheld else meetings,
        withheld,
        EVENT_TYPES,
        " ".join(notes) or None,
    )
