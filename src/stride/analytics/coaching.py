"""Coaching figures: practice-session completion and the meeting-analysis pipeline.

- A practice session is a learner's run at a catalog `exercise` item; its completion rate is
  the completed (learner, exercise) pairs over the started ones (content sums).
- Meetings are keyed by the activity id of `meeting.uploaded` / `meeting.analyzed` /
  `meeting.failed` events, per learner. A meeting counts in the period of its earliest
  `meeting.uploaded`; it succeeded when a `meeting.analyzed` exists, failed when only a
  `meeting.failed` does, and is pending otherwise. Processing time is analyzed - uploaded.
- Analyses per learner per week: succeeded analyses / learners who uploaded in the period /
  weeks in the period (days / 7).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MeetingRow:
    learner_key: str
    uploaded_at: datetime
    analyzed_at: datetime | None
    failed_at: datetime | None


@dataclass(frozen=True, slots=True)
class MeetingFigures:
    learners: int  # learners who uploaded in the period
    uploaded: int
    succeeded: int
    failed: int
    pending: int
    success_rate: float | None  # succeeded / (succeeded + failed)
    median_processing_s: float | None
    analyses_per_learner_per_week: float | None


@dataclass(frozen=True, slots=True)
class PracticeFigures:
    exercises: int  # exercises counted (those with at least min_group_size learners)
    started: int  # (learner, exercise) pairs
    completed: int
    completion_rate: float | None


def meeting_figures(rows: Sequence[MeetingRow], days: float) -> MeetingFigures:
    learners = len({r.learner_key for r in rows})
    succeeded = [r for r in rows if r.analyzed_at is not None]
    failed = sum(1 for r in rows if r.analyzed_at is None and r.failed_at is not None)
    times = [
        max((r.analyzed_at - r.uploaded_at).total_seconds(), 0.0)
        for r in succeeded
        if r.analyzed_at is not None
    ]
    weeks = days / 7
    finished = len(succeeded) + failed
    return MeetingFigures(
        learners=learners,
        uploaded=len(rows),
        succeeded=len(succeeded),
        failed=failed,
        pending=len(rows) - finished,
        success_rate=len(succeeded) / finished if finished else None,
        median_processing_s=statistics.median(times) if times else None,
        analyses_per_learner_per_week=(
            len(succeeded) / learners / weeks if learners and weeks > 0 else None
        ),
    )


def practice_figures(exercises: Sequence[tuple[int, int]]) -> PracticeFigures:
    """From (started, completed) per exercise."""
    started = sum(s for s, _ in exercises)
    completed = sum(c for _, c in exercises)
    return PracticeFigures(
        len(exercises), started, completed, completed / started if started else None
    )
