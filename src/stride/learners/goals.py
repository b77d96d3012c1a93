"""A learner's goals with progress and history; setting and cancelling them.

Setting or cancelling a goal through the API records a `goal.set` or `goal.cancelled` event
through the ingest pipeline, so the log stays the one source of truth and a rebuild gives
the same goals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Engine

from stride.catalog import Catalog
from stride.errors import FieldError, InvalidInput, NotFound
from stride.events.goal_rules import (
    GOAL_CANCELLED,
    GOAL_SET,
    MODULE_BY_DATE,
    SESSIONS_PER_WEEK,
)
from stride.events.validation import ValidationLimits, utc_text
from stride.ingest.pipeline import EventStatus, TenantScope, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.progress.completion import completion_tree
from stride.progress.daily import local_day
from stride.progress.goals import Goal, goal_weeks, module_progress, week_of, week_progress
from stride.store import read_models as repo
from stride.store.aliases import canonical_key
from stride.store.catalogs import load_catalog
from stride.store.goals import goals_of
from stride.store.learners import get_profile

HISTORY_WEEKS = 12
GoalStatus = Literal["active", "met", "missed", "cancelled"]


@dataclass(frozen=True)
class GoalWeekView:
    week: date  # Monday of the learner's local week
    actual: int
    target: int
    met: bool
    met_on: date | None


@dataclass(frozen=True)
class ModuleGoalView:
    completion: float | None  # None when the catalog does not know the module
    completed_at: datetime | None
    on_track: bool
    expected_completion: float  # a straight line from the day set to the due date


@dataclass(frozen=True)
class GoalView:
    goal_id: str
    kind: str
    target: int
    unit: Literal["minutes", "sessions", "module"]
    module: str | None
    due: date | None
    status: GoalStatus
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    current_week: GoalWeekView | None  # weekly goals: this week so far
    history: list[GoalWeekView]  # weekly goals: past weeks, most recent first (up to 12)
    module_progress: ModuleGoalView | None


@dataclass(frozen=True)
class GoalsView:
    data: list[GoalView]


@dataclass(frozen=True)
class GoalRequest:
    kind: str
    target: int | None = None
    module: str | None = None
    due: date | None = None


def list_goals(
    connection: Connection, tenant_id: str, learner_key_: str, now: datetime
) -> GoalsView:
    """Every goal the learner set (cancelled ones too), oldest first."""
    found = [g for g in goals_of(connection, tenant_id, learner_key_) if g.defined]
    if not found:
        return GoalsView([])
    profile = get_profile(connection, tenant_id, learner_key_)
    zone = profile.timezone if profile else "UTC"
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored else None
    return GoalsView([_view(connection, tenant_id, g, zone, catalog, now) for g in found])


def _view(
    connection: Connection,
    tenant_id: str,
    goal: Goal,
    zone: str,
    catalog: Catalog | None,
    now: datetime,
) -> GoalView:
    assert goal.kind and goal.target and goal.created_at and goal.set_at
    today = local_day(now, zone)
    weeks: list[GoalWeekView] = []
    module: ModuleGoalView | None = None
    if goal.kind == MODULE_BY_DATE:
        module, status = _module(connection, tenant_id, goal, zone, catalog, now)
        unit: Literal["minutes", "sessions", "module"] = "module"
    else:
        weeks = _weeks(connection, tenant_id, goal, zone, today)
        status = "active"
        unit = "sessions" if goal.kind == SESSIONS_PER_WEEK else "minutes"
    this_week = week_of(today)
    current = next((w for w in weeks if w.week == this_week), None)
    return GoalView(
        goal_id=goal.goal_id,
        kind=goal.kind,
        target=goal.target,
        unit=unit,
        module=goal.module,
        due=goal.due,
        status="cancelled" if goal.cancelled_at is not None else status,
        created_at=goal.created_at,
        updated_at=goal.set_at,
        cancelled_at=goal.cancelled_at,
        current_week=current,
        history=[w for w in weeks if w.week != this_week],
        module_progress=module,
    )


def _weeks(
    connection: Connection, tenant_id: str, goal: Goal, zone: str, today: date
) -> list[GoalWeekView]:
    assert goal.kind and goal.target and goal.created_at
    last_day = local_day(goal.cancelled_at, zone) if goal.cancelled_at else today
    first_day = max(local_day(goal.created_at, zone), last_day - timedelta(weeks=HISTORY_WEEKS))
    mondays = goal_weeks(first_day, last_day) if first_day <= last_day else []
    pairs = [(goal.learner_key, m + timedelta(days=n)) for m in mondays for n in range(7)]
    days = list(repo.load_days(connection, tenant_id, pairs).values())
    found = [week_progress(goal.kind, goal.target, m, days) for m in reversed(mondays)]
    return [GoalWeekView(w.week, w.actual, w.target, w.met, w.met_on) for w in found]


def _module(
    connection: Connection,
    tenant_id: str,
    goal: Goal,
    zone: str,
    catalog: Catalog | None,
    now: datetime,
) -> tuple[ModuleGoalView, GoalStatus]:
    assert goal.module and goal.due and goal.created_at
    today, set_on = local_day(now, zone), local_day(goal.created_at, zone)
    if catalog is None or goal.module not in catalog.activities:
        progress = module_progress(0.0, None, None, set_on, goal.due, today)
        missed = today > goal.due
        view = ModuleGoalView(None, None, progress.on_track, progress.expected)
        return view, "missed" if missed else "active"
    items = catalog.items_under(goal.module)
    rows = repo.load_activities(connection, tenant_id, [(goal.learner_key, i.id) for i in items])
    tree = completion_tree(catalog, goal.module, {a: row for (_, a), row in rows.items()}, now=now)
    done_on = local_day(tree.completed_at, zone) if tree.completed_at else None
    progress = module_progress(tree.completion, done_on, tree.completed_at, set_on, goal.due, today)
    status: GoalStatus = (
        "met" if progress.met else "missed" if done_on or today > goal.due else "active"
    )
    view = ModuleGoalView(tree.completion, tree.completed_at, progress.on_track, progress.expected)
    return view, status


def _record(
    engine: Engine,
    scope: TenantScope,
    event: dict[str, object],
    limits: ValidationLimits,
    now: datetime,
) -> None:
    outcome = ingest_events(engine, scope, [event], limits, now).outcomes[0]
    if outcome.status is EventStatus.REJECTED:
        # The body's fields travel as the event's properties: name them as the body does.
        errors = [FieldError(e.path.removeprefix("properties."), e.reason) for e in outcome.errors]
        raise InvalidInput("The goal is not valid.", errors)


def set_goal(
    engine: Engine,
    scope: TenantScope,
    learner_id: str,
    request: GoalRequest,
    limits: ValidationLimits,
    now: datetime,
) -> GoalView:
    """Record a `goal.set` for a new goal and return it; InvalidInput names bad fields."""
    if request.kind == MODULE_BY_DATE and request.module is not None:
        _check_module(engine, scope.tenant_id, request.module)
    goal_id = str(uuid.uuid4())
    properties: dict[str, object] = {"goal_id": goal_id, "kind": request.kind}
    if request.target is not None:
        properties["target"] = request.target
    elif request.kind != MODULE_BY_DATE:
        raise InvalidInput("The goal is not valid.", [FieldError("target", "field required")])
    if request.module is not None:
        properties["module"] = request.module
    if request.due is not None:
        properties["due"] = request.due.isoformat()
    event = _event(GOAL_SET, learner_id, now, properties)
    _record(engine, scope, event, limits, now)
    return _view_of(engine, scope, learner_id, goal_id, now)


def cancel_goal(
    engine: Engine,
    scope: TenantScope,
    learner_id: str,
    goal_id: str,
    limits: ValidationLimits,
    now: datetime,
) -> GoalView:
    """Record a `goal.cancelled` (once) and return the goal; NotFound for an unknown goal."""
    current = _view_of(engine, scope, learner_id, goal_id, now)
    if current.cancelled_at is None:
        event = _event(GOAL_CANCELLED, learner_id, now, {"goal_id": goal_id})
        _record(engine, scope, event, limits, now)
    return _view_of(engine, scope, learner_id, goal_id, now)


def _event(
    kind: str, learner_id: str, now: datetime, properties: dict[str, object]
) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "learner": learner_id,
        "timestamp": utc_text(now),
        "properties": properties,
    }


def _check_module(engine: Engine, tenant_id: str, module: str) -> None:
    with engine.connect() as connection:
        stored = load_catalog(connection, tenant_id)
    if stored is None or module not in stored.catalog.activities:
        raise InvalidInput(
            "The catalog does not know this module.",
            [FieldError("module", "must be an activity id of the tenant's catalog")],
        )


def _view_of(
    engine: Engine, scope: TenantScope, learner_id: str, goal_id: str, now: datetime
) -> GoalView:
    with engine.connect() as connection:
        key = canonical_key(
            connection, scope.tenant_id, learner_key(scope.learner_secret, learner_id)
        )
        for view in list_goals(connection, scope.tenant_id, key, now).data:
            if view.goal_id == goal_id:
                return view
    raise NotFound("This learner has no such goal.")
