"""Evaluate criteria on a snapshot of a learner's metrics, and measure progress towards them.

Progress of one comparison `metric >= required` is current / required (capped at 100 %);
`<`, `<=` and `==` are met or not (0 or 100 %), as there is no way "towards" them. `all` is
the mean of its parts (each part counts, none can hide another), `any` the best of its
parts (one suffices). The estimated date of `all` is the latest of its unmet parts' (None if
one of them has none); of `any`, the earliest its parts give.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from stride.achievements.criteria import AllOf, Comparison, Criteria, Metric, comparisons
from stride.events.recorded import RecordedEvent
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.progress.activity import completes_activity

# Beyond this many days an estimate says nothing useful.
MAX_ESTIMATE_DAYS = 3650


@dataclass(frozen=True)
class LearnerMetrics:
    """What criteria read about one learner; maps hold only the ids some criteria name."""

    streak_current: int = 0
    streak_longest: int = 0
    skills_acquired: int = 0
    sessions: int = 0
    activities_completed: int = 0
    modules_completed: int = 0
    perfect_scores: int = 0
    completion: Mapping[str, float] = field(default_factory=dict)  # activity -> 0..1
    best_score: Mapping[str, float] = field(default_factory=dict)
    mastery: Mapping[str, float] = field(default_factory=dict)
    improvement: Mapping[str, float] = field(default_factory=dict)  # dimension -> change
    event_counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ConditionProgress:
    metric: str
    op: str
    current: float
    required: float
    percent: float
    met: bool
    estimated_date: date | None


@dataclass(frozen=True)
class Progress:
    percent: float
    met: bool
    estimated_date: date | None
    conditions: tuple[ConditionProgress, ...]


_PLAIN = {
    "streak.current": "streak_current",
    "streak.longest": "streak_longest",
    "skills.acquired": "skills_acquired",
    "sessions.count": "sessions",
    "activities.completed": "activities_completed",
    "modules.completed": "modules_completed",
    "score.perfect": "perfect_scores",
}
_BY_ID = {
    "module": "completion",
    "course": "completion",
    "program": "completion",
    "activity": "best_score",
    "mastery": "mastery",
    "improvement": "improvement",
    "events": "event_counts",
}


def metric_value(metrics: LearnerMetrics, metric: Metric) -> float:
    """The metric's value; an id the learner has nothing for reads 0."""
    if metric.ref is None:
        return float(getattr(metrics, _PLAIN[metric.kind]))
    values: Mapping[str, float] = getattr(metrics, _BY_ID[metric.kind])
    return float(values.get(metric.ref, 0.0))


def compare(current: float, op: str, required: float) -> bool:
    if op == ">=":
        return current >= required
    if op == ">":
        return current > required
    if op == "<=":
        return current <= required
    if op == "<":
        return current < required
    return math.isclose(current, required, rel_tol=0.0, abs_tol=1e-9)


def is_met(criteria: Criteria, metrics: LearnerMetrics) -> bool:
    if isinstance(criteria, Comparison):
        return compare(metric_value(metrics, criteria.metric), criteria.op, criteria.value)
    results = (is_met(part, metrics) for part in criteria.conditions)
    return all(results) if isinstance(criteria, AllOf) else any(results)


def could_change(metric: Metric, event: RecordedEvent) -> bool:
    """Whether folding `event` may move the metric: rules that cannot move are not evaluated."""
    kind = metric.kind
    if kind in ("streak.current", "streak.longest"):
        return True
    if kind == "sessions.count":
        return event.session is not None
    if kind == "score.perfect":
        return is_perfect(event)
    if kind in ("skills.acquired", "mastery", "improvement"):
        return event.type in ATTEMPT_EVENT_TYPES
    if kind == "events":
        return event.type == metric.ref
    if kind == "activity":
        return event.activity_id == metric.ref and event.score is not None
    # Completion metrics (activities, modules, courses, programs) move when an item completes.
    return event.activity_id is not None and completes_activity(event)


def is_perfect(event: RecordedEvent) -> bool:
    """An attempt with full marks (what `score.perfect` counts)."""
    return event.type in ATTEMPT_EVENT_TYPES and event.score is not None and event.score >= 1.0


def touched_by(criteria: Criteria, event: RecordedEvent) -> bool:
    return any(could_change(c.metric, event) for c in comparisons(criteria))


def progress(
    criteria: Criteria,
    metrics: LearnerMetrics,
    rates: Mapping[str, float | None],
    today: date,
) -> Progress:
    """Progress towards the criteria; `rates` are each metric's recent change per day."""
    if isinstance(criteria, Comparison):
        condition = _condition(criteria, metrics, rates.get(criteria.metric.name), today)
        return Progress(condition.percent, condition.met, condition.estimated_date, (condition,))
    parts = [progress(part, metrics, rates, today) for part in criteria.conditions]
    conditions = tuple(c for part in parts for c in part.conditions)
    if isinstance(criteria, AllOf):
        met = all(p.met for p in parts)
        unmet = [p.estimated_date for p in parts if not p.met]
        known = [d for d in unmet if d is not None]
        estimate = max(known) if known and len(known) == len(unmet) else None
        percent = sum(p.percent for p in parts) / len(parts)
    else:
        met = any(p.met for p in parts)
        known = [p.estimated_date for p in parts if p.estimated_date is not None]
        estimate = None if met or not known else min(known)
        percent = max(p.percent for p in parts)
    return Progress(100.0 if met else round(percent, 1), met, None if met else estimate, conditions)


def _condition(
    comparison: Comparison, metrics: LearnerMetrics, rate: float | None, today: date
) -> ConditionProgress:
    current = metric_value(metrics, comparison.metric)
    required = comparison.value
    met = compare(current, comparison.op, required)
    if met:
        percent = 100.0
    elif comparison.op in (">=", ">") and required > 0:
        percent = round(min(99.9, max(0.0, 100.0 * current / required)), 1)
    else:
        percent = 0.0
    estimate = None
    if not met and comparison.op in (">=", ">") and rate is not None and rate > 0:
        days = math.ceil((required - current) / rate)
        if comparison.op == ">" and (required - current) / rate == days:
            days += 1  # strictly above: one more day than reaching it
        if days <= MAX_ESTIMATE_DAYS:
            estimate = today + timedelta(days=max(days, 1))
    return ConditionProgress(
        comparison.metric.name, comparison.op, current, required, percent, met, estimate
    )
