"""Fold goal events into learners' goals, and record each goal period's `goal.met` once.

A `goal.met` event's id is a UUIDv5 of (tenant, learner, goal, period), so the log's unique
key makes a second one impossible whatever replays, rebuilds or late events happen.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from stride.catalog import Catalog
from stride.clock import utc_now
from stride.events.goal_rules import GOAL_EVENT_TYPES, GOAL_MET, GOAL_SET, goal_id_of, goal_spec
from stride.events.recorded import RecordedEvent
from stride.events.validation import content_hash, utc_text
from stride.progress.completion import completion_tree
from stride.progress.daily import DayActivity, local_day
from stride.progress.goals import (
    Goal,
    apply_goal_cancelled,
    apply_goal_set,
    is_module_goal,
    week_of,
    week_progress,
)
from stride.store import event_log
from stride.store import read_models as repo
from stride.store.catalogs import load_catalog
from stride.store.goals import event_properties, existing_event_ids, goals_of_learners, save_goals

_GOAL_NAMESPACE = uuid.UUID("3d0f6b8e-7c1a-4e55-b2a9-5f0c1d7e9a63")


@dataclass(frozen=True)
class _Met:
    goal: Goal
    period: str  # the week's Monday, or the module goal's due date
    at: datetime
    actual: int


def goal_met_event_id(tenant_id: str, learner_key: str, goal_id: str, period: str) -> str:
    return str(uuid.uuid5(_GOAL_NAMESPACE, f"{tenant_id}/{learner_key}/{goal_id}/{period}"))


def project_goals(
    connection: Connection,
    tenant_id: str,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    timezones: Mapping[str, str],
) -> None:
    stored = goals_of_learners(connection, tenant_id, by_learner.keys())
    goal_events = [e for es in by_learner.values() for e in es if e.type in GOAL_EVENT_TYPES]
    if not stored and not goal_events:
        return  # the common case: one indexed read per batch
    goals, touched = _fold(connection, tenant_id, stored, goal_events)
    met: list[_Met] = []
    catalog: Catalog | None = None
    weekly: list[tuple[Goal, list[date], str]] = []
    for pair, goal in goals.items():
        key = pair[0]
        if not goal.defined or key not in by_learner:
            continue
        zone = timezones.get(key, "UTC")
        if is_module_goal(goal):
            catalog = catalog or _catalog(connection, tenant_id)
            if catalog is not None and (
                pair in touched or _touches(catalog, goal, by_learner[key])
            ):
                met += _module_met(connection, tenant_id, catalog, goal, zone)
        else:
            weeks = _weeks_to_check(
                connection, tenant_id, goal, by_learner[key], pair in touched, zone
            )
            if weeks:
                weekly.append((goal, weeks, zone))
    met += _weekly_met(connection, tenant_id, weekly, by_learner)
    _record(connection, tenant_id, met)


def _fold(
    connection: Connection,
    tenant_id: str,
    stored: dict[tuple[str, str], Goal],
    goal_events: list[RecordedEvent],
) -> tuple[dict[tuple[str, str], Goal], set[tuple[str, str]]]:
    """The goals after the batch's goal events, and the (learner, goal) pairs they touched."""
    if not goal_events:
        return stored, set()
    # RecordedEvent leaves properties out; goal events are rare, so read theirs back.
    properties = event_properties(connection, tenant_id, [e.event_id for e in goal_events])
    goals = dict(stored)
    touched: set[tuple[str, str]] = set()
    for event in goal_events:
        props = properties.get(event.event_id)
        key, at, event_id = event.learner_key, event.timestamp, event.event_id
        if event.type == GOAL_SET:
            spec = goal_spec(props)
            if spec is None:
                continue
            pair = (key, spec.goal_id)
            goals[pair] = apply_goal_set(goals.get(pair), key, spec, at, event_id)
        else:
            goal_id = goal_id_of(props)
            if goal_id is None:
                continue
            pair = (key, goal_id)
            goals[pair] = apply_goal_cancelled(goals.get(pair), key, goal_id, at, event_id)
        touched.add(pair)
    save_goals(connection, tenant_id, [g for k, g in goals.items() if stored.get(k) != g])
    return goals, touched


def _touches(catalog: Catalog, goal: Goal, events: Sequence[RecordedEvent]) -> bool:
    """Whether any of the events is about an item of the goal's module."""
    assert goal.module is not None
    if goal.module not in catalog.activities:
        return False
    items = {item.id for item in catalog.items_under(goal.module)}
    return any(e.activity_id in items for e in events)


def _catalog(connection: Connection, tenant_id: str) -> Catalog | None:
    stored = load_catalog(connection, tenant_id)
    return stored.catalog if stored else None


def _active_weeks(goal: Goal, zone: str) -> tuple[date, date | None]:
    """The goal's first week, and its last one (the week it was cancelled in) if any."""
    assert goal.created_at is not None
    first = week_of(local_day(goal.created_at, zone))
    last = week_of(local_day(goal.cancelled_at, zone)) if goal.cancelled_at else None
    return first, last


def _weeks_to_check(
    connection: Connection,
    tenant_id: str,
    goal: Goal,
    events: Sequence[RecordedEvent],
    redefined: bool,
    zone: str,
) -> list[date]:
    """The weeks the batch's events fell in; every week so far when the goal itself changed."""
    first, last = _active_weeks(goal, zone)
    weeks = {week_of(local_day(e.timestamp, zone)) for e in events}
    if redefined:
        stats = repo.load_stats(connection, tenant_id, [goal.learner_key]).get(goal.learner_key)
        latest = stats.streak.last_day if stats and stats.streak.last_day else first
        weeks.update(first + timedelta(weeks=n) for n in range((latest - first).days // 7 + 1))
    return sorted(w for w in weeks if w >= first and (last is None or w <= last))


def _weekly_met(
    connection: Connection,
    tenant_id: str,
    weekly: list[tuple[Goal, list[date], str]],
    by_learner: Mapping[str, Sequence[RecordedEvent]],
) -> list[_Met]:
    """The weeks each weekly goal was met in, among the weeks to check (one read for all)."""
    if not weekly:
        return []
    pairs = {
        (goal.learner_key, week + timedelta(days=n))
        for goal, weeks, _ in weekly
        for week in weeks
        for n in range(7)
    }
    days_of: dict[str, list[DayActivity]] = defaultdict(list)
    for (key, _), rollup in repo.load_days(connection, tenant_id, pairs).items():
        days_of[key].append(rollup)
    met = []
    for goal, weeks, zone in weekly:
        assert goal.kind is not None and goal.target is not None and goal.set_at is not None
        days = days_of.get(goal.learner_key, [])
        for week in weeks:
            progress = week_progress(goal.kind, goal.target, week, days)
            if progress.met:
                events = by_learner[goal.learner_key]
                in_week = [
                    e.timestamp for e in events if week_of(local_day(e.timestamp, zone)) == week
                ]
                at = max(in_week, default=goal.set_at)
                met.append(_Met(goal, week.isoformat(), at, progress.actual))
    return met


def _module_met(
    connection: Connection, tenant_id: str, catalog: Catalog, goal: Goal, zone: str
) -> list[_Met]:
    assert goal.module is not None and goal.due is not None
    if goal.module not in catalog.activities:
        return []
    items = catalog.items_under(goal.module)
    rows = repo.load_activities(connection, tenant_id, [(goal.learner_key, i.id) for i in items])
    activities = {activity_id: row for (_, activity_id), row in rows.items()}
    tree = completion_tree(catalog, goal.module, activities, now=utc_now())
    done = tree.completed_at
    cancelled = goal.cancelled_at
    if done is None or local_day(done, zone) > goal.due or (cancelled and cancelled < done):
        return []
    return [_Met(goal, goal.due.isoformat(), done, 1)]


def _record(connection: Connection, tenant_id: str, met: list[_Met]) -> None:
    if not met:
        return
    ids = {
        goal_met_event_id(tenant_id, m.goal.learner_key, m.goal.goal_id, m.period): m for m in met
    }
    new = set(ids) - existing_event_ids(connection, tenant_id, ids.keys())
    if new:
        now = utc_now()
        event_log.append_events(
            connection, [_met_row(tenant_id, i, ids[i], now) for i in sorted(new)]
        )


def _met_row(tenant_id: str, event_id: str, met: _Met, now: datetime) -> dict[str, Any]:
    goal = met.goal
    payload = {
        "id": event_id,
        "type": GOAL_MET,
        "timestamp": utc_text(met.at),
        "properties": {
            "goal_id": goal.goal_id,
            "kind": goal.kind,
            "period": met.period,
            "target": goal.target,
            "actual": met.actual,
            **({"module": goal.module} if goal.module else {}),
        },
        "derived": True,
    }
    return {
        "tenant_id": tenant_id,
        "event_id": event_id,
        "learner_key": goal.learner_key,
        "type": GOAL_MET,
        "event_time": met.at,
        "received_at": now,
        "content_hash": content_hash(goal.learner_key, payload),
        "payload": payload,
    }
