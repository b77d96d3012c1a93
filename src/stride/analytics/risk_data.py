"""Enrolled learners as the at-risk rules and the risk model see them, read from read models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from stride.analytics.risk_features import (
    ActiveDay,
    LearnerHistory,
    activity_feature_matrix,
    linear_plan,
    pace_features,
    score_features,
)
from stride.analytics.risk_rules import Candidate
from stride.catalog import Catalog
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import completion_tree
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.progress.learner import LearnerStats
from stride.store.analytics_risk import (
    DayRow,
    DayTotals,
    OpenEnrollment,
    OpenFilter,
    activities_of,
    day_totals,
    days_of,
    open_activities,
    open_enrollments,
    program_enrollments,
)
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


Completion = tuple[float | None, datetime | None, frozenset[str] | None]
NO_COMPLETION: Completion = (None, None, None)


@dataclass(frozen=True)
class OpenLearners:
    """The enrollments the at-risk list considers (see OpenFilter), read in a few queries for
    all learners at once; `completion` holds (completion, completed at, the program's item ids)
    per enrollment, Nones when the catalog does not know its program."""

    rows: list[OpenEnrollment]
    completion: list[Completion]
    activities: dict[str, dict[str, ActivityProgress]]  # only read when `with_history`
    days: dict[str, DayTotals]  # only read when `with_history`


def load_open(
    connection: Connection, tenant_id: str, now: datetime, wanted: OpenFilter, with_history: bool
) -> OpenLearners:
    """The batch counterpart of `load_enrolled` for the at-risk list: the database filters the
    enrollments; activity rows are read only where a completion tree or a history needs them,
    and active days only as per-learner sums."""
    rows = open_enrollments(connection, tenant_id, wanted)
    stored = load_catalog(connection, tenant_id) if rows else None
    catalog = stored.catalog if stored else None
    known = catalog is not None and any(r.program_id in catalog.activities for r in rows)
    activities = open_activities(connection, tenant_id, wanted) if known or with_history else {}
    days = day_totals(connection, tenant_id, wanted, now.date()) if with_history else {}
    plans: dict[str, frozenset[str]] = {}
    completion = []
    for r in rows:
        if catalog is None or r.program_id not in catalog.activities:
            completion.append(NO_COMPLETION)
            continue
        tree = completion_tree(catalog, r.program_id, activities.get(r.learner_key, {}), now=now)
        items = plans.get(r.program_id)
        if items is None:
            items = plans[r.program_id] = _required_items(catalog, r.program_id)
        completion.append((tree.completion, tree.completed_at, items))
    return OpenLearners(rows, completion, activities, days)


def open_features(found: OpenLearners, indices: list[int], today: date) -> NDArray[np.float64]:
    """The risk features (FEATURE_NAMES order) of the enrollments at `indices`, as of
    `today`: the activity features vectorized over the database's per-learner sums."""
    totals = np.zeros((len(indices), 10), dtype=np.int64)
    minutes = np.zeros(len(indices), dtype=np.float64)
    enrolled_for = np.zeros(len(indices), dtype=np.int64)
    rest = []
    for n, i in enumerate(indices):
        r = found.rows[i]
        enrolled_on = r.enrolled_at.date()
        enrolled_for[n] = (today - enrolled_on).days
        t = found.days.get(r.learner_key)
        if t is not None:
            totals[n] = (
                t.days,
                t.first_ago,
                t.last_ago,
                *t.weeks,
                t.events,
                t.events_14d,
                t.events_14_28d,
            )
            minutes[n] = t.minutes
        items = found.completion[i][2]
        history = _history_of(
            enrolled_on, r.target_date, found.activities.get(r.learner_key, {}), items
        )
        rest.append(
            score_features(history.scores, today)
            + pace_features(history.done, history.planned, enrolled_on, today)
        )
    activity = activity_feature_matrix(totals, minutes, enrolled_for)
    return np.hstack([activity, np.asarray(rest, dtype=np.float64).reshape(len(indices), 9)])


def _required_items(catalog: Catalog, program_id: str) -> frozenset[str]:
    under = catalog.items_under(program_id)
    return frozenset([i.id for i in under if i.required] or [i.id for i in under])


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
    return tree.completion, tree.completed_at, _required_items(catalog, enrollment.activity_id)


def _history(
    enrollment: Enrollment,
    days: list[DayRow],
    activities: dict[str, ActivityProgress],
    items: frozenset[str] | None,
) -> LearnerHistory:
    history = _history_of(enrollment.enrolled_at.date(), enrollment.target_date, activities, items)
    return replace(history, days=[ActiveDay(d.day, d.events, d.minutes) for d in days])


def _history_of(
    enrolled_on: date,
    target_on: date | None,
    activities: dict[str, ActivityProgress],
    items: frozenset[str] | None,
) -> LearnerHistory:
    """The history without its active days: scores, items done and the plan."""
    # Scores come from each activity's last scored attempt: the read models keep no older
    # ones, so a history as of an earlier day misses scores since overwritten by a retake.
    scored = [a for i, a in activities.items() if items is None or i in items]
    return LearnerHistory(
        enrolled_on=enrolled_on,
        days=(),
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
        planned=linear_plan(enrolled_on, target_on, len(items or ())),
    )
