"""When did a batch's events satisfy an achievement's criteria? Pure: dates an award.

A batch can hold many of a learner's events (an import, a day of buffered activity). The
award is dated by the event that made the criteria true, not by the batch's last event. Each
comparison is dated from what records when its metric went up:

- a count (`events:<type>.count`, `score.perfect`): the batch event that reached the count;
- `activity:<id>.best_score`: the first batch event whose score meets the bar;
- completion of a module, course or program at 100 %: when the completion tree completed it;
- `activities.completed`, `modules.completed`, `skills.acquired`: the n-th completion or
  acquisition time;
- metrics that also go down (streaks, mastery, improvement, sessions) and comparisons other
  than `>=`/`>`: the batch's last relevant event, which is when they were found true.

`all` is met when its last part is; `any` when its first met part is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from stride.achievements.criteria import AllOf, Comparison, Criteria
from stride.achievements.metrics import LearnerMetrics, could_change, is_met, metric_value
from stride.events.recorded import RecordedEvent

COUNTED = frozenset({"events", "score.perfect"})
# Metrics whose value steps up at recorded moments, and where `History` keeps them.
STEPPED = {
    "activities.completed": "activity_completions",
    "modules.completed": "module_completions",
    "skills.acquired": "skill_acquisitions",
}
NODES = frozenset({"module", "course", "program"})


@dataclass(frozen=True)
class History:
    """One learner's moments of progress (each tuple sorted), read only to date an award."""

    activity_completions: tuple[datetime, ...] = ()
    module_completions: tuple[datetime, ...] = ()
    skill_acquisitions: tuple[datetime, ...] = ()
    completed_at: Mapping[str, datetime] = field(default_factory=dict)  # module/course/program


def needs_history(criteria: Criteria) -> bool:
    """Whether dating these criteria reads `History` (else an empty one will do)."""
    if isinstance(criteria, Comparison):
        return criteria.metric.kind in STEPPED or criteria.metric.kind in NODES
    return any(needs_history(part) for part in criteria.conditions)


def satisfying_event(
    criteria: Criteria,
    relevant: Sequence[RecordedEvent],
    metrics: LearnerMetrics,
    history: History,
) -> int:
    """Index in `relevant` (sorted by time, then id) of the event that satisfied `criteria`,
    which `metrics` (the state after the batch) must meet."""
    last = len(relevant) - 1
    moment = _met_at(criteria, relevant, metrics, history)
    if moment is None:
        return last
    for index, event in enumerate(relevant):
        if event.timestamp >= moment:
            return index
    return last


def _met_at(
    criteria: Criteria,
    relevant: Sequence[RecordedEvent],
    metrics: LearnerMetrics,
    history: History,
) -> datetime | None:
    """When the criteria became true; None when that cannot be told better than "by the
    batch's last relevant event"."""
    if isinstance(criteria, Comparison):
        return _comparison_met_at(criteria, relevant, metrics, history)
    if isinstance(criteria, AllOf):
        moments = [_met_at(part, relevant, metrics, history) for part in criteria.conditions]
        return None if any(m is None for m in moments) else max(m for m in moments if m)
    met = [part for part in criteria.conditions if is_met(part, metrics)]
    moments = [_met_at(part, relevant, metrics, history) for part in met]
    return None if not moments or any(m is None for m in moments) else min(m for m in moments if m)


def _comparison_met_at(
    comparison: Comparison,
    relevant: Sequence[RecordedEvent],
    metrics: LearnerMetrics,
    history: History,
) -> datetime | None:
    metric, op, value = comparison.metric, comparison.op, comparison.value
    if op not in (">=", ">"):
        return None
    needed = math.ceil(value) if op == ">=" else math.floor(value) + 1
    mine = [e for e in relevant if could_change(metric, e)]
    if metric.kind in COUNTED:
        if not mine:
            return _before(relevant)
        before = metric_value(metrics, metric) - len(mine)
        return mine[max(0, min(len(mine) - 1, int(needed - before) - 1))].timestamp
    if metric.kind == "activity":
        for event in mine:
            score = event.score
            if score is not None and (score >= value if op == ">=" else score > value):
                return event.timestamp
        return _before(relevant)  # the bar was met by an earlier batch
    if metric.kind in STEPPED:
        moments: tuple[datetime, ...] = getattr(history, STEPPED[metric.kind])
        return moments[needed - 1] if 0 < needed <= len(moments) else None
    if metric.kind in NODES and metric.ref is not None and op == ">=" and value == 1.0:
        return history.completed_at.get(metric.ref)
    return None


def _before(relevant: Sequence[RecordedEvent]) -> datetime | None:
    return relevant[0].timestamp if relevant else None
