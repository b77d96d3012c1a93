"""Each metric's recent pace (change per day over the last 28 days), for estimated dates."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from stride.achievements.criteria import Metric
from stride.achievements.metrics import LearnerMetrics
from stride.achievements.snapshot import completed_modules
from stride.catalog.model import Catalog
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.ingest.mastery_projector import week_start
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import completion_tree
from stride.progress.daily import local_day
from stride.progress.mastery import SkillMastery
from stride.store import achievements as store

PACE_DAYS = 28
# Metrics with no steady pace: a best score or an improvement does not accumulate.
_NO_PACE = {"activity", "improvement"}


def metric_rates(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    catalog: Catalog | None,
    metrics: Collection[Metric],
    current: LearnerMetrics,
    now: datetime,
    timezone: str,
) -> dict[str, float | None]:
    """Per metric name, its gain per day over the last `PACE_DAYS` days (None: no pace)."""
    since = now - timedelta(days=PACE_DAYS)
    kinds = {m.kind for m in metrics}
    keys = [learner_key]
    rows = store.load_activity_rows(connection, tenant_id, [(learner_key,)]).get(learner_key, {})
    skills = store.load_skill_states(connection, tenant_id, keys).get(learner_key, [])
    counts: dict[str, int] = {}
    perfect = 0
    if kinds & {"events", "score.perfect"}:
        types = {m.ref for m in metrics if m.kind == "events" and m.ref is not None}
        attempts = ATTEMPT_EVENT_TYPES if "score.perfect" in kinds else frozenset()
        counts, perfect = store.recent_counts(
            connection, tenant_id, learner_key, since, types, attempts
        )
    before = _before(rows, since)
    gains: dict[str, float | None] = {}
    for metric in metrics:
        gain: float | None = None
        if metric.kind == "streak.current":
            gain = PACE_DAYS if current.streak_current > 0 else None  # one more a day
        elif metric.kind == "streak.longest":
            alive = current.streak_current == current.streak_longest > 0
            gain = PACE_DAYS if alive else None
        elif metric.kind == "skills.acquired":
            gain = sum(1 for s in skills if s.acquired_at is not None and s.acquired_at >= since)
        elif metric.kind == "activities.completed":
            gain = sum(1 for r in rows.values() if r.completed_at and r.completed_at >= since)
        elif metric.kind == "modules.completed":
            done = completed_modules(catalog, rows, now).values()
            gain = sum(1 for at in done if at is not None and at >= since)
        elif metric.kind == "sessions.count":
            first_days = store.load_sessions(connection, tenant_id, keys).get(learner_key, {})
            start = local_day(since, timezone)
            gain = sum(1 for day in first_days.values() if day >= start)
        elif metric.kind in ("module", "course", "program") and catalog and metric.ref:
            if metric.ref in catalog.activities:
                then = completion_tree(catalog, metric.ref, before, now=since).completion
                gain = current.completion.get(metric.ref, 0.0) - then
        elif metric.kind == "mastery" and metric.ref is not None:
            gain = _mastery_gain(skills, metric.ref, current, since, timezone)
        elif metric.kind == "events" and metric.ref is not None:
            gain = counts.get(metric.ref, 0)
        elif metric.kind == "score.perfect":
            gain = perfect
        gains[metric.name] = None if gain is None or metric.kind in _NO_PACE else gain / PACE_DAYS
    return gains


def _before(rows: Mapping[str, ActivityProgress], since: datetime) -> dict[str, ActivityProgress]:
    """The rows as they stood at `since`, as far as completion goes."""
    return {
        activity_id: row
        if row.completed_at is None or row.completed_at < since
        else replace(row, status=ActivityStatus.IN_PROGRESS, completed_at=None)
        for activity_id, row in rows.items()
    }


def _mastery_gain(
    skills: list[SkillMastery], skill_id: str, current: LearnerMetrics, since: datetime, zone: str
) -> float | None:
    week = week_start(since, zone)
    for state in skills:
        if state.skill_id == skill_id:
            earlier = [value for w, value in state.weekly if w <= week]
            then = earlier[-1] if earlier else 0.0
            return current.mastery.get(skill_id, 0.0) - then
    return None
