"""A learner's weighted completion of a catalog subtree, and their pace against a target date."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from stride.catalog.model import Catalog, CatalogActivity
from stride.errors import NotFound
from stride.progress.activity import ActivityProgress, ActivityStatus

MS_PER_HOUR = 3_600_000


@dataclass(frozen=True, slots=True)
class NodeProgress:
    """One catalog node as a learner stands on it; counts cover the items completion counts."""

    id: str
    type: str
    title: str
    required: bool
    weight: float
    completion: float
    status: str
    items_total: int
    items_completed: int
    estimated_minutes: int
    remaining_minutes: int
    time_spent_ms: int
    attempts: int
    average_score: float | None
    best_score: float | None
    efficiency: float | None
    last_activity: datetime | None
    completed_at: datetime | None
    children: tuple[NodeProgress, ...]


@dataclass(frozen=True, slots=True)
class PacePoint:
    day: date
    planned: float


def completion_tree(
    catalog: Catalog,
    root_id: str,
    activities: Mapping[str, ActivityProgress],
    *,
    now: datetime,
) -> NodeProgress:
    """The learner's progress on `root_id` and everything under it.

    `now` is part of the signature so callers never let this read a clock; the figures
    themselves depend only on the rows.

    Raises:
        NotFound: the catalog has no activity `root_id`.
    """
    return _node(catalog, _activity(catalog, root_id), activities)


def counted_children(catalog: Catalog, activity_id: str) -> tuple[CatalogActivity, ...]:
    """The children a container's completion averages: the required ones, or all if none is."""
    children = catalog.children(activity_id)
    required = tuple(c for c in children if c.required)
    return required or children


def _activity(catalog: Catalog, activity_id: str) -> CatalogActivity:
    activity = catalog.activities.get(activity_id)
    if activity is None:
        raise NotFound(f"the catalog has no activity {activity_id}")
    return activity


def _node(
    catalog: Catalog, activity: CatalogActivity, rows: Mapping[str, ActivityProgress]
) -> NodeProgress:
    if activity.is_item:
        return _item(activity, rows.get(activity.id))
    children = tuple(_node(catalog, c, rows) for c in catalog.children(activity.id))
    counted_ids = {c.id for c in counted_children(catalog, activity.id)}
    counted = [c for c in children if c.id in counted_ids]
    weights = sum(c.weight for c in counted)
    completion = sum(c.weight * c.completion for c in counted) / weights if counted else 0.0
    items_total = sum(c.items_total for c in counted)
    items_completed = sum(c.items_completed for c in counted)
    # Done when every counted child is; an empty container never is, as its completion is 0.
    done = bool(counted) and all(c.status == ActivityStatus.COMPLETED for c in counted)
    # Time and attempts are the items' own: a platform's module row may repeat their sum.
    time_ms = sum(c.time_spent_ms for c in children)
    scores = [i.best_score for i in _leaves(children) if i.best_score is not None]
    average = sum(scores) / len(scores) if scores else None
    own = rows.get(activity.id)
    seen = [c.last_activity for c in children if c.last_activity is not None]
    if own is not None:
        seen.append(own.last_seen)
    started = own is not None or any(c.status != ActivityStatus.NOT_STARTED for c in children)
    finished = [c.completed_at for c in counted if c.completed_at is not None]
    return NodeProgress(
        id=activity.id,
        type=activity.type,
        title=activity.title,
        required=activity.required,
        weight=activity.weight,
        completion=1.0 if done else min(completion, 1.0),
        status=_status(done, started),
        items_total=items_total,
        items_completed=items_completed,
        estimated_minutes=activity.estimated_minutes,
        remaining_minutes=sum(c.remaining_minutes for c in counted),
        time_spent_ms=time_ms,
        attempts=sum(c.attempts for c in children),
        average_score=average,
        best_score=max(scores) if scores else None,
        efficiency=_efficiency(average, time_ms),
        last_activity=max(seen) if seen else None,
        completed_at=max(finished) if done and finished else None,
        children=children,
    )


def _item(activity: CatalogActivity, row: ActivityProgress | None) -> NodeProgress:
    done = row is not None and row.status is ActivityStatus.COMPLETED
    time_ms = row.time_spent_ms if row is not None else 0
    score = row.best_score if row is not None else None
    return NodeProgress(
        id=activity.id,
        type=activity.type,
        title=activity.title,
        required=activity.required,
        weight=activity.weight,
        completion=1.0 if done else 0.0,
        status=row.status.value if row is not None else ActivityStatus.NOT_STARTED.value,
        items_total=1,
        items_completed=1 if done else 0,
        estimated_minutes=activity.estimated_minutes,
        remaining_minutes=0 if done else activity.estimated_minutes,
        time_spent_ms=time_ms,
        attempts=row.attempts if row is not None else 0,
        average_score=score,
        best_score=score,
        efficiency=_efficiency(score, time_ms),
        last_activity=row.last_seen if row is not None else None,
        completed_at=row.completed_at if done and row is not None else None,
        children=(),
    )


def _leaves(nodes: tuple[NodeProgress, ...]) -> list[NodeProgress]:
    leaves: list[NodeProgress] = []
    for node in nodes:
        leaves.extend(_leaves(node.children) if node.children else [node])
    return [n for n in leaves if n.type not in ("program", "course", "module")]


def _status(done: bool, started: bool) -> str:
    if done:
        return ActivityStatus.COMPLETED.value
    return (ActivityStatus.IN_PROGRESS if started else ActivityStatus.NOT_STARTED).value


def _efficiency(average_score: float | None, time_ms: int) -> float | None:
    """Score points (0..100) per hour of study; None until there is both a score and time."""
    if average_score is None or time_ms <= 0:
        return None
    return average_score * 100.0 / (time_ms / MS_PER_HOUR)


def pace_days(enrolled_on: date, today: date, points: int = 12) -> list[date]:
    """Up to `points` days spread evenly from enrolment to today, both included."""
    if points < 1:
        raise ValueError(f"points must be at least 1, got {points}")
    span = (today - enrolled_on).days
    if span < 0:
        return []
    count = min(points, span + 1)
    if count == 1:
        return [today]
    # Integer steps of at least one day, so no day repeats and the last one is today.
    return [enrolled_on + timedelta(days=i * span // (count - 1)) for i in range(count)]


def planned_pace(
    enrolled_on: date, target_on: date | None, today: date, *, points: int = 12
) -> list[PacePoint]:
    """The share planned done by each day: linear from enrolment to the target; [] without one."""
    if target_on is None:
        return []
    length = (target_on - enrolled_on).days
    return [
        PacePoint(day, 1.0 if length <= 0 else min(1.0, (day - enrolled_on).days / length))
        for day in pace_days(enrolled_on, today, points)
    ]


def actual_pace(
    catalog: Catalog,
    root_id: str,
    activities: Mapping[str, ActivityProgress],
    enrolled_on: date,
    today: date,
    *,
    points: int = 12,
    tz: tzinfo = UTC,
) -> list[PacePoint]:
    """The completion of `root_id` as it stood at the end of each day of `planned_pace`.

    Days are calendar days in `tz`, the learner's own time zone.
    """
    root = _activity(catalog, root_id)
    finished_on = {
        row.activity_id: row.completed_at.astimezone(tz).date()
        for row in activities.values()
        if row.status is ActivityStatus.COMPLETED and row.completed_at is not None
    }
    return [
        PacePoint(day, _completion(catalog, root, _done_by(finished_on, day)))
        for day in pace_days(enrolled_on, today, points)
    ]


def _done_by(finished_on: Mapping[str, date], day: date) -> Callable[[str], bool]:
    def done(activity_id: str) -> bool:
        finished = finished_on.get(activity_id)
        return finished is not None and finished <= day

    return done


def _completion(catalog: Catalog, activity: CatalogActivity, done: Callable[[str], bool]) -> float:
    """The same weighted completion as `completion_tree`, for a given set of completed items."""
    if activity.is_item:
        return 1.0 if done(activity.id) else 0.0
    counted = counted_children(catalog, activity.id)
    if not counted:
        return 0.0
    total = sum(c.weight * _completion(catalog, c, done) for c in counted)
    return min(1.0, total / sum(c.weight for c in counted))


def completed_estimated_minutes(
    catalog: Catalog, activities: Mapping[str, ActivityProgress]
) -> int:
    """Catalog minutes of every item (leaf) the learner has completed, anywhere in the catalog."""
    return sum(
        activity.estimated_minutes
        for activity_id, progress in activities.items()
        if progress.status is ActivityStatus.COMPLETED
        and (activity := catalog.activities.get(activity_id)) is not None
        and not catalog.children(activity_id)
    )
