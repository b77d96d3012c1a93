"""Repository for achievements and points: awards, counters, weekly points, celebrations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.mastery import SkillMastery
from stride.store.bulk import select_by_keys, select_by_learners
from stride.store.mastery import mastery_from_row
from stride.store.tables import (
    achievement_celebrations,
    events,
    learner_achievements,
    learner_activities,
    learner_counters,
    learner_days,
    learner_points,
    learner_skills,
)
from stride.store.upsert import add_to_rows, insert_missing


@dataclass(frozen=True)
class Award:
    learner_key: str
    achievement_id: str
    awarded_at: datetime
    event_id: str
    name: str
    points: int
    evidence: tuple[str, ...]


def _award(row: Any) -> Award:
    return Award(
        row.learner_key,
        row.achievement_id,
        row.awarded_at,
        row.event_id,
        row.name,
        row.points,
        tuple(row.evidence),
    )


def load_awarded(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, set[str]]:
    """The ids of the achievements each learner has earned."""
    names = ("learner_key", "achievement_id")
    awarded: dict[str, set[str]] = defaultdict(set)
    for key, achievement_id in select_by_learners(
        connection, learner_achievements, names, tenant_id, learner_keys
    ):
        awarded[key].add(achievement_id)
    return awarded


def awards_of(connection: Connection, tenant_id: str, learner_key: str) -> list[Award]:
    table = learner_achievements
    query = (
        select(table)
        .where(table.c.tenant_id == tenant_id, table.c.learner_key == learner_key)
        .order_by(table.c.awarded_at, table.c.achievement_id)
    )
    return [_award(row) for row in connection.execute(query)]


def save_awards(connection: Connection, tenant_id: str, awards: Sequence[Award]) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "learner_key": a.learner_key,
            "achievement_id": a.achievement_id,
            "awarded_at": a.awarded_at,
            "event_id": a.event_id,
            "name": a.name,
            "points": a.points,
            "evidence": list(a.evidence),
        }
        for a in awards
    ]
    insert_missing(connection, learner_achievements, rows)


def logged_payloads(
    connection: Connection, tenant_id: str, event_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The stored payloads of some events of the log, by id."""
    query = select(events.c.event_id, events.c.payload).where(
        events.c.tenant_id == tenant_id, events.c.event_id.in_(list(event_ids))
    )
    return {event_id: payload for event_id, payload in connection.execute(query)}


def add_points(
    connection: Connection, tenant_id: str, points: Mapping[tuple[str, date], int]
) -> None:
    rows = [
        {"tenant_id": tenant_id, "learner_key": key, "week": week, "points": value}
        for (key, week), value in sorted(points.items())
        if value
    ]
    add_to_rows(connection, learner_points, rows)


def add_counters(
    connection: Connection, tenant_id: str, counts: Mapping[tuple[str, str], int]
) -> None:
    rows = [
        {"tenant_id": tenant_id, "learner_key": key, "counter": counter, "value": value}
        for (key, counter), value in sorted(counts.items())
        if value
    ]
    add_to_rows(connection, learner_counters, rows)


def load_counters(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, dict[str, int]]:
    # The batch SQL of store.bulk: this runs on the ingest path, a few dozen rows a learner.
    names = ("learner_key", "counter", "value")
    counters: dict[str, dict[str, int]] = defaultdict(dict)
    for key, counter, value in select_by_learners(
        connection, learner_counters, names, tenant_id, learner_keys
    ):
        counters[key][counter] = value
    return counters


def mark_counters(
    connection: Connection, tenant_id: str, marks: Collection[tuple[str, str]]
) -> None:
    """Set (learner, counter) flags to 1 for good: for facts that never become false again."""
    rows = [
        {"tenant_id": tenant_id, "learner_key": key, "counter": counter, "value": 1}
        for key, counter in sorted(marks)
    ]
    insert_missing(connection, learner_counters, rows)


def points_of(connection: Connection, tenant_id: str, learner_key: str) -> list[tuple[date, int]]:
    """The learner's points per week, oldest first."""
    table = learner_points
    query = (
        select(table.c.week, table.c.points)
        .where(table.c.tenant_id == tenant_id, table.c.learner_key == learner_key)
        .order_by(table.c.week)
    )
    return [(week, points) for week, points in connection.execute(query)]


_SKILL_COLUMNS = tuple(f.name for f in fields(SkillMastery))
_ACTIVITY_COLUMNS = tuple(f.name for f in fields(ActivityProgress))


def load_skill_states(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, list[SkillMastery]]:
    # The batch SQL of store.bulk: this runs on the ingest path.
    columns = tuple("p_mastery" if c == "p_bkt" else c for c in _SKILL_COLUMNS)
    rows = select_by_learners(connection, learner_skills, columns, tenant_id, learner_keys)
    states: dict[str, list[SkillMastery]] = defaultdict(list)
    for row in rows:
        state = mastery_from_row(row)
        states[state.learner_key].append(state)
    return states


def count_acquired_skills(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, int]:
    """How many skills each learner has acquired (learners with none are left out)."""
    columns = ("learner_key", "acquired_at")
    rows = select_by_learners(connection, learner_skills, columns, tenant_id, learner_keys)
    counts: dict[str, int] = defaultdict(int)
    for key, acquired_at in rows:
        if acquired_at is not None:
            counts[key] += 1
    return counts


def load_activity_rows(
    connection: Connection, tenant_id: str, keys: Collection[tuple[str, ...]]
) -> dict[str, dict[str, ActivityProgress]]:
    """Activity rows per learner: `keys` are (learner,) for all of a learner's rows, or
    (learner, activity) for one row each (one index probe per key)."""
    if not keys:
        return {}
    names = ("learner_key",) if len(next(iter(keys))) == 1 else ("learner_key", "activity_id")
    found = select_by_keys(
        connection, learner_activities, _ACTIVITY_COLUMNS, tenant_id, names, keys
    )
    rows: dict[str, dict[str, ActivityProgress]] = defaultdict(dict)
    for values in found:
        values[3] = ActivityStatus(values[3])
        rows[values[0]][values[1]] = ActivityProgress(*values)
    return rows


def load_sessions(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, dict[str, date]]:
    """Each learner's session ids, with the first local day each was seen on."""
    t = learner_days
    query = (
        select(t.c.learner_key, t.c.day, t.c.sessions)
        .where(t.c.tenant_id == tenant_id, t.c.learner_key.in_(list(learner_keys)))
        .order_by(t.c.learner_key, t.c.day)
    )
    sessions: dict[str, dict[str, date]] = defaultdict(dict)
    for key, day, ids in connection.execute(query):
        for session in ids:
            sessions[key].setdefault(session, day)
    return sessions


def celebrations_of(
    connection: Connection, tenant_id: str, learner_key: str
) -> dict[str, datetime]:
    t = achievement_celebrations
    query = select(t.c.achievement_id, t.c.shown_at).where(
        t.c.tenant_id == tenant_id, t.c.learner_key == learner_key
    )
    return {achievement_id: shown_at for achievement_id, shown_at in connection.execute(query)}


def set_celebration(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    achievement_id: str,
    shown_at: datetime | None,
) -> None:
    """Record (or, with None, forget) when the UI celebrated an award; the first time stays."""
    t = achievement_celebrations
    if shown_at is None:
        connection.execute(
            t.delete().where(
                t.c.tenant_id == tenant_id,
                t.c.learner_key == learner_key,
                t.c.achievement_id == achievement_id,
            )
        )
        return
    row = {
        "tenant_id": tenant_id,
        "learner_key": learner_key,
        "achievement_id": achievement_id,
        "shown_at": shown_at,
    }
    insert_missing(connection, t, [row])


def recent_counts(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    since: datetime,
    event_types: Collection[str],
    attempt_types: Collection[str],
) -> tuple[dict[str, int], int]:
    """A learner's events since `since`: the count per type among `event_types`, and the
    number of perfect scores among `attempt_types` (by the learner/time index)."""
    wanted = sorted({*event_types, *attempt_types})
    if not wanted:
        return {}, 0
    query = select(events.c.type, events.c.payload).where(
        events.c.tenant_id == tenant_id,
        events.c.learner_key == learner_key,
        events.c.event_time >= since,
        events.c.type.in_(wanted),
    )
    counts: dict[str, int] = defaultdict(int)
    perfect = 0
    for event_type, payload in connection.execute(query):
        if payload.get("derived"):
            continue
        counts[event_type] += 1
        score = (payload.get("result") or {}).get("score")
        if event_type in attempt_types and isinstance(score, int | float) and score >= 1.0:
            perfect += 1
    return dict(counts), perfect
