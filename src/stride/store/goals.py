"""Repository for learners' goals, the payloads of goal events, and the days freezes bridged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, select

from stride.progress.goals import Goal
from stride.store.bulk import select_by_learners
from stride.store.tables import events, learner_goals, learner_streak_freezes
from stride.store.upsert import insert_missing, upsert_rows

_FIELDS = (
    "kind",
    "target",
    "module",
    "due",
    "created_at",
    "set_at",
    "set_event",
    "cancelled_at",
    "cancelled_event",
)


_COLUMNS = ("learner_key", "goal_id", *_FIELDS)


def goals_of_learners(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[tuple[str, str], Goal]:
    """Every goal of the learners, by (learner key, goal id).

    Runs for every ingested batch, so it takes the batch reads' prepared path (store/bulk.py).
    """
    if not learner_keys:
        return {}
    rows = select_by_learners(connection, learner_goals, _COLUMNS, tenant_id, learner_keys)
    goals = (Goal(*row) for row in rows)
    return {(g.learner_key, g.goal_id): g for g in goals}


def goals_of(connection: Connection, tenant_id: str, learner_key: str) -> list[Goal]:
    """A learner's goals, oldest first."""
    found = goals_of_learners(connection, tenant_id, [learner_key]).values()
    return sorted(found, key=lambda g: (g.created_at is None, g.created_at, g.goal_id))


def save_goals(connection: Connection, tenant_id: str, goals: Iterable[Goal]) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "learner_key": g.learner_key,
            "goal_id": g.goal_id,
            **{name: getattr(g, name) for name in _FIELDS},
        }
        for g in goals
    ]
    upsert_rows(connection, learner_goals, rows)


def event_properties(
    connection: Connection, tenant_id: str, event_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The `properties` of stored events (goal events carry the goal there)."""
    if not event_ids:
        return {}
    rows = connection.execute(
        select(events.c.event_id, events.c.payload).where(
            events.c.tenant_id == tenant_id, events.c.event_id.in_(list(event_ids))
        )
    )
    return {row.event_id: row.payload.get("properties") or {} for row in rows}


def existing_event_ids(
    connection: Connection, tenant_id: str, event_ids: Collection[str]
) -> set[str]:
    if not event_ids:
        return set()
    rows = connection.execute(
        select(events.c.event_id).where(
            events.c.tenant_id == tenant_id, events.c.event_id.in_(list(event_ids))
        )
    )
    return {row.event_id for row in rows}


def frozen_days_of(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, list[date]]:
    """The days streak freezes bridged, per learner, in order."""
    if not learner_keys:
        return {}
    rows = connection.execute(
        select(learner_streak_freezes.c.learner_key, learner_streak_freezes.c.day)
        .where(
            learner_streak_freezes.c.tenant_id == tenant_id,
            learner_streak_freezes.c.learner_key.in_(list(learner_keys)),
        )
        .order_by(learner_streak_freezes.c.day)
    )
    found: dict[str, list[date]] = defaultdict(list)
    for row in rows:
        found[row.learner_key].append(row.day)
    return found


def replace_frozen_days(
    connection: Connection, tenant_id: str, frozen: Mapping[str, Collection[date]]
) -> None:
    """Make each learner's frozen days exactly the given ones."""
    if not frozen:
        return
    connection.execute(
        delete(learner_streak_freezes).where(
            learner_streak_freezes.c.tenant_id == tenant_id,
            learner_streak_freezes.c.learner_key.in_(list(frozen)),
        )
    )
    rows = [
        {"tenant_id": tenant_id, "learner_key": key, "day": day}
        for key, days in frozen.items()
        for day in days
    ]
    insert_missing(connection, learner_streak_freezes, rows)
