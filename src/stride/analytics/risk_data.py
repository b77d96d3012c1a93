"""Enrolled learners as the at-risk rules and the risk model see them, read from read models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection

from stride.analytics.risk_features import ActiveDay, LearnerHistory, linear_plan
from stride.analytics.risk_rules import Candidate
from stride.catalog import Catalog
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import completion_tree
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.progress.learner import LearnerStats
from stride.store.analytics_risk import DayRow, activities_of, days_of, program_enrollments
from stride.store.catalogs import load_catalog
from stride.store.read_models import load_stats


@dataclass(frozen=True)
class EnrolledLearner:
    enrollment: Enrollment
    candidate: Candidate
    history: LearnerHistory


def load_enrolled(
    connection: Connection,
    tenant_id: str,
    now: datetime,
    *,
    program_id: str | None = None,
    learner_key: str | None = None,
    keep: Callable[[Enrollment, LearnerStats | None], bool] | None = None,
    with_days: bool = True,
) -> list[EnrolledLearner]:
    """Every enrollment in a program or course (optionally one program's or one learner's,
    and only those `keep` accepts from the enrollment and the learner's totals, before the
    heavier reads), with the learner's rule inputs and history (without active days unless
    `with_days`: the rules do not need them)."""
    enrollments = program_enrollments(connection, tenant_id, program_id, learner_key)
    stats = load_stats(connection, tenant_id, {e.learner_key for e in enrollments})
    if keep is not None:
        enrollments = [e for e in enrollments if keep(e, stats.get(e.learner_key))]
    keys = {e.learner_key for e in enrollments}
    if not keys:
        return []
    days = days_of(connection, tenant_id, keys) if with_days else {}
    activities = activities_of(connection, tenant_id, keys)
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored else None
    found = []
    for e in enrollments:
        acts = activities.get(e.learner_key, {})
        s = stats.get(e.learner_key)
        completion, completed_at, items = _completion(catalog, e, acts, now)
        candidate = Candidate(
            learner_key=e.learner_key,
            program_id=e.activity_id,
            enrolled_at=e.enrolled_at,
            active_days=s.active_days if s else 0,
            last_active=s.last_active if s else None,
            completion=completion,
            completed_at=completed_at,
            cancelled_at=e.cancelled_at if e.status is EnrollmentStatus.CANCELLED else None,
            planned_share=planned_share(e.enrolled_at.date(), e.target_date, now.date()),
        )
        history = _history(e, days.get(e.learner_key, []), acts, items)
        found.append(EnrolledLearner(e, candidate, history))
    return found


def planned_share(enrolled_on: date, target_on: date | None, today: date) -> float | None:
    """The share of the program planned done by `today`: linear to the target date."""
    if target_on is None:
        return None
    span = (target_on - enrolled_on).days
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (today - enrolled_on).days / span))


def _completion(
    catalog: Catalog | None,
    enrollment: Enrollment,
    activities: dict[str, ActivityProgress],
    now: datetime,
) -> tuple[float | None, datetime | None, frozenset[str] | None]:
    """(completion, completed at, the program's item ids) per the catalog; Nones without it."""
    if catalog is None or enrollment.activity_id not in catalog.activities:
        return None, None, None
    tree = completion_tree(catalog, enrollment.activity_id, activities, now=now)
    under = catalog.items_under(enrollment.activity_id)
    required = [i.id for i in under if i.required] or [i.id for i in under]
    return tree.completion, tree.completed_at, frozenset(required)


def _history(
    enrollment: Enrollment,
    days: list[DayRow],
    activities: dict[str, ActivityProgress],
    items: frozenset[str] | None,
) -> LearnerHistory:
    # Scores come from each activity's last scored attempt: the read models keep no older
    # ones, so a history as of an earlier day misses scores since overwritten by a retake.
    scored = [a for i, a in activities.items() if items is None or i in items]
    enrolled_on = enrollment.enrolled_at.date()
    return LearnerHistory(
        enrolled_on=enrolled_on,
        days=[ActiveDay(d.day, d.events, d.minutes) for d in days],
        scores=[
            (a.last_scored_at.date(), a.last_score)
            for a in scored
            if a.last_score is not None and a.last_scored_at is not None
        ],
        done=[
            a.completed_at.date()
            for a in scored
            if items is not None and a.status is ActivityStatus.COMPLETED and a.completed_at
        ],
        planned=linear_plan(enrolled_on, enrollment.target_date, len(items or ())),
    )
