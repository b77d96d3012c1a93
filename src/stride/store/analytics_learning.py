"""Repository for learning analytics: item attempts, module progress, meetings, content sums."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select, text

from stride.analytics.coaching_fold import MeetingProgress
from stride.analytics.content_buckets import bucket_of
from stride.analytics.content_rollup import (
    DROPOFF,
    MODULE_TIME,
    STAT_FIELDS,
    TIME,
    ModuleProgress,
)
from stride.analytics.items_fold import ITEM_STAT_FIELDS, ItemAttempts, ItemFirst
from stride.progress.activity import ActivityProgress
from stride.store.bulk import insert_rows, select_by_keys, select_by_learners
from stride.store.read_models import load_activities
from stride.store.tables import (
    content_buckets,
    content_stats,
    item_stats,
    learner_activities,
    learner_item_attempts,
    learner_meetings,
    learner_modules,
    learner_skills,
)
from stride.store.upsert import add_to_rows

_ITEM_COLUMNS = (
    "learner_key",
    "activity_id",
    "graded",
    "correct",
    "first_at",
    "first_event",
    "first_score",
    "first_correct",
)
_MODULE_COLUMNS = (
    "learner_key",
    "module_id",
    "items_started",
    "required_done",
    "time_spent_ms",
    "last_item",
    "last_seen",
    "last_event",
)
_MEETING_COLUMNS = ("learner_key", "meeting_id", "uploaded_at", "analyzed_at", "failed_at")


def _item(row: list[Any]) -> ItemAttempts:
    row[7] = bool(row[7])
    return ItemAttempts(*row)


_FIRST_COLUMNS = ("learner_key", *ItemFirst._fields)


def learners_item_attempts(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, list[ItemFirst]]:
    """Every item row of each learner named, with what their shares of the item sums need."""
    rows = select_by_learners(
        connection, learner_item_attempts, _FIRST_COLUMNS, tenant_id, sorted(learner_keys)
    )
    found: dict[str, list[ItemFirst]] = {key: [] for key in learner_keys}
    for key, activity_id, graded, correct, first_score, first_correct in rows:
        found[key].append(ItemFirst(activity_id, graded, correct, first_score, bool(first_correct)))
    return found


def load_item_attempts(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], ItemAttempts]:
    """The (learner, item) rows that exist among `pairs`."""
    key = ("learner_key", "activity_id")
    rows = select_by_keys(connection, learner_item_attempts, _ITEM_COLUMNS, tenant_id, key, pairs)
    return {(r[0], r[1]): _item(r) for r in rows}


def save_item_attempts(
    connection: Connection, tenant_id: str, items: Iterable[ItemAttempts]
) -> None:
    rows = [
        (
            tenant_id,
            i.learner_key,
            i.activity_id,
            i.graded,
            i.correct,
            i.first_at,
            i.first_event,
            i.first_score,
            int(i.first_correct),
        )
        for i in items
    ]
    names = ("tenant_id", *_ITEM_COLUMNS)
    insert_rows(connection, learner_item_attempts, names, rows, "update")


def load_modules(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], ModuleProgress]:
    """The (learner, module) rows that exist among `pairs`."""
    key = ("learner_key", "module_id")
    rows = select_by_keys(connection, learner_modules, _MODULE_COLUMNS, tenant_id, key, pairs)
    return {(r[0], r[1]): ModuleProgress(*r) for r in rows}


def save_modules(connection: Connection, tenant_id: str, modules: Iterable[ModuleProgress]) -> None:
    rows = [
        (
            tenant_id,
            m.learner_key,
            m.module_id,
            m.items_started,
            m.required_done,
            m.time_spent_ms,
            m.last_item,
            m.last_seen,
            m.last_event,
        )
        for m in modules
    ]
    insert_rows(connection, learner_modules, ("tenant_id", *_MODULE_COLUMNS), rows, "update")


def load_meetings(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], MeetingProgress]:
    key = ("learner_key", "meeting_id")
    rows = select_by_keys(connection, learner_meetings, _MEETING_COLUMNS, tenant_id, key, pairs)
    return {(r[0], r[1]): MeetingProgress(*r) for r in rows}


def save_meetings(
    connection: Connection, tenant_id: str, meetings: Iterable[MeetingProgress]
) -> None:
    rows = [
        (tenant_id, m.learner_key, m.meeting_id, m.uploaded_at, m.analyzed_at, m.failed_at)
        for m in meetings
    ]
    insert_rows(connection, learner_meetings, ("tenant_id", *_MEETING_COLUMNS), rows, "update")


def learner_activity_rows(
    connection: Connection, tenant_id: str, learner_key: str
) -> list[ActivityProgress]:
    """Every activity row of one learner."""
    ids = connection.execute(
        select(learner_activities.c.activity_id).where(
            learner_activities.c.tenant_id == tenant_id,
            learner_activities.c.learner_key == learner_key,
        )
    ).scalars()
    return list(load_activities(connection, tenant_id, [(learner_key, i) for i in ids]).values())


def learner_module_rows(
    connection: Connection, tenant_id: str, learner_key: str
) -> list[ModuleProgress]:
    rows = select_by_learners(
        connection, learner_modules, _MODULE_COLUMNS, tenant_id, [learner_key]
    )
    return [ModuleProgress(*r) for r in rows]


def add_content(
    connection: Connection,
    tenant_id: str,
    stats: Mapping[tuple[str, str], tuple[int, ...]],
    buckets: Mapping[tuple[str, str, str], int],
) -> None:
    """Add to the content sums (in key order, so concurrent batches lock rows alike), then drop
    rows that came to zero: a rebuild would never have written them."""
    if stats:
        rows = [
            {
                "tenant_id": tenant_id,
                "activity_id": a,
                "level": level,
                **dict(zip(STAT_FIELDS, v, strict=True)),
            }
            for (a, level), v in sorted(stats.items())
        ]
        add_to_rows(connection, content_stats, rows)
        # Every zero row of the tenant, not only this batch's: there are none other, and so
        # the partial index ix_content_stats_zero answers it.
        connection.execute(_ZERO_CONTENT_STATS, {"tenant_id": tenant_id})
    if buckets:
        rows = [
            {"tenant_id": tenant_id, "activity_id": a, "kind": k, "bucket": b, "learners": n}
            for (a, k, b), n in sorted(buckets.items())
        ]
        add_to_rows(connection, content_buckets, rows)
        # As above (ix_content_buckets_zero).
        connection.execute(_ZERO_CONTENT_BUCKETS, {"tenant_id": tenant_id})


def add_item_stats(
    connection: Connection, tenant_id: str, changes: Mapping[str, tuple[int, ...]]
) -> None:
    """Add to the item sums (in key order), then drop rows that came to zero."""
    if not changes:
        return
    rows = [
        {"tenant_id": tenant_id, "activity_id": a, **dict(zip(ITEM_STAT_FIELDS, v, strict=True))}
        for a, v in sorted(changes.items())
    ]
    add_to_rows(connection, item_stats, rows)
    connection.execute(_ZERO_ITEM_STATS, {"tenant_id": tenant_id, "ids": sorted(changes)})


# Built once: they run in every ingest batch, where building a statement costs more than
# running it.
_ZERO_CONTENT_STATS = delete(content_stats).where(
    content_stats.c.tenant_id == bindparam("tenant_id"),
    *(content_stats.c[name] == 0 for name in STAT_FIELDS),
)
_ZERO_CONTENT_BUCKETS = delete(content_buckets).where(
    content_buckets.c.tenant_id == bindparam("tenant_id"), content_buckets.c.learners == 0
)
_ZERO_ITEM_STATS = delete(item_stats).where(
    item_stats.c.tenant_id == bindparam("tenant_id"),
    item_stats.c.activity_id.in_(bindparam("ids", expanding=True)),
    *(item_stats.c[name] == 0 for name in ITEM_STAT_FIELDS),
)


# ------------------------------------------------------------------------------------ reads


def item_stat_rows(
    connection: Connection, tenant_id: str, activity_ids: Collection[str] | None
) -> list[Any]:
    """The item sums of the items named (every item when None)."""
    query = select(item_stats).where(item_stats.c.tenant_id == tenant_id)
    if activity_ids is not None:
        query = query.where(item_stats.c.activity_id.in_(sorted(activity_ids)))
    return list(connection.execute(query))


def content_stat_rows(
    connection: Connection, tenant_id: str, activity_ids: Collection[str] | None = None
) -> list[Any]:
    """The content sums (one row per activity and per module) of the ids named, or all."""
    query = select(content_stats).where(content_stats.c.tenant_id == tenant_id)
    if activity_ids is not None:
        query = query.where(content_stats.c.activity_id.in_(sorted(activity_ids)))
    return list(connection.execute(query))


def content_dropoffs(
    connection: Connection, tenant_id: str, module_ids: Collection[str] | None = None
) -> list[Any]:
    """(module, item, learners) of the drop-off counts of the modules named, or all."""
    table = content_buckets
    query = select(table.c.activity_id, table.c.bucket, table.c.learners).where(
        table.c.tenant_id == tenant_id, table.c.kind == DROPOFF
    )
    if module_ids is not None:
        query = query.where(table.c.activity_id.in_(sorted(module_ids)))
    return list(connection.execute(query))


# The bucket holding the middle learner (the lower one of an even count) of each time
# histogram, found in the database so the histograms never cross the wire.
_MEDIAN_BUCKETS = """
SELECT activity_id, kind, bucket FROM (
  SELECT activity_id, kind, bucket, learners,
    SUM(learners) OVER (PARTITION BY activity_id, kind ORDER BY bucket
                        ROWS UNBOUNDED PRECEDING) AS upto,
    SUM(learners) OVER (PARTITION BY activity_id, kind) AS total
  FROM content_buckets WHERE tenant_id = :tenant AND kind IN (:time, :module_time) {only}
) AS b WHERE upto >= (total + 1) / 2 AND upto - learners < (total + 1) / 2
"""


def content_median_buckets(
    connection: Connection, tenant_id: str, activity_ids: Collection[str] | None = None
) -> dict[tuple[str, str], int]:
    """(activity, kind) -> the median's time bucket, for kinds "time" and "module_time", of
    the ids named (all when None)."""
    params: dict[str, Any] = {"tenant": tenant_id, "time": TIME, "module_time": MODULE_TIME}
    only = ""
    if activity_ids is not None:
        only = "AND activity_id IN :ids"
        params["ids"] = sorted(activity_ids)
    statement = text(_MEDIAN_BUCKETS.format(only=only))
    if activity_ids is not None:
        statement = statement.bindparams(bindparam("ids", expanding=True))
    rows = connection.execute(statement, params)
    return {(activity, kind): bucket_of(bucket) for activity, kind, bucket in rows}


def meeting_rows(
    connection: Connection, tenant_id: str, start: datetime, end: datetime
) -> list[Any]:
    """Meetings uploaded in [start, end), by the upload index."""
    table = learner_meetings
    query = select(
        table.c.learner_key, table.c.uploaded_at, table.c.analyzed_at, table.c.failed_at
    ).where(
        and_(
            table.c.tenant_id == tenant_id,
            table.c.uploaded_at >= start,
            table.c.uploaded_at < end,
        )
    )
    return list(connection.execute(query))


_STANDING_SQLITE = """
SELECT s.learner_key, s.skill_id, s.attempts,
  (SELECT json_extract(w.value, '$[1]') FROM json_each(s.weekly) AS w
   WHERE json_extract(w.value, '$[0]') <= :start_week ORDER BY w.key DESC LIMIT 1),
  (SELECT json_extract(w.value, '$[1]') FROM json_each(s.weekly) AS w
   WHERE json_extract(w.value, '$[0]') <= :end_week ORDER BY w.key DESC LIMIT 1)
FROM learner_skills AS s WHERE s.tenant_id = :tenant
"""
_STANDING_POSTGRESQL = """
SELECT s.learner_key, s.skill_id, s.attempts,
  (SELECT (w.e ->> 1)::float8 FROM jsonb_array_elements(s.weekly) WITH ORDINALITY AS w(e, i)
   WHERE w.e ->> 0 <= :start_week ORDER BY w.i DESC LIMIT 1),
  (SELECT (w.e ->> 1)::float8 FROM jsonb_array_elements(s.weekly) WITH ORDINALITY AS w(e, i)
   WHERE w.e ->> 0 <= :end_week ORDER BY w.i DESC LIMIT 1)
FROM learner_skills AS s WHERE s.tenant_id = :tenant
"""
_ACTIVE_WEEKS_SQLITE = """
SELECT s.learner_key, count(DISTINCT json_extract(w.value, '$[0]'))
FROM learner_skills AS s, json_each(s.weekly) AS w
WHERE s.tenant_id = :tenant AND json_extract(w.value, '$[0]') BETWEEN :first_week AND :end_week
GROUP BY s.learner_key
"""
_ACTIVE_WEEKS_POSTGRESQL = """
SELECT s.learner_key, count(DISTINCT w.e ->> 0)
FROM learner_skills AS s, jsonb_array_elements(s.weekly) AS w(e)
WHERE s.tenant_id = :tenant AND w.e ->> 0 BETWEEN :first_week AND :end_week
GROUP BY s.learner_key
"""


def skill_standing(
    connection: Connection, tenant_id: str, start_week: date | None, end_week: date
) -> list[tuple[str, str, int, float | None, float | None]]:
    """(learner, skill, attempts, mastery in the last week on or before `start_week`, in the
    last week on or before `end_week`) of every learner_skills row; weeks are read inside the
    database, so no weekly history crosses the wire."""
    sql = _STANDING_POSTGRESQL if connection.dialect.name == "postgresql" else _STANDING_SQLITE
    # Before any week: an ISO date sorts after no stored week when the start is open.
    params = {
        "tenant": tenant_id,
        "start_week": start_week.isoformat() if start_week else "0000-00-00",
        "end_week": end_week.isoformat(),
    }
    return [(r[0], r[1], r[2], r[3], r[4]) for r in connection.execute(text(sql), params)]


def active_weeks(
    connection: Connection, tenant_id: str, first_week: date, end_week: date
) -> dict[str, int]:
    """Per learner, the distinct weeks in [first_week, end_week] with a graded attempt."""
    postgresql_ = connection.dialect.name == "postgresql"
    sql = _ACTIVE_WEEKS_POSTGRESQL if postgresql_ else _ACTIVE_WEEKS_SQLITE
    params = {
        "tenant": tenant_id,
        "first_week": first_week.isoformat(),
        "end_week": end_week.isoformat(),
    }
    return {key: count for key, count in connection.execute(text(sql), params)}


def acquisitions(
    connection: Connection, tenant_id: str, start: datetime | None, end: datetime
) -> dict[str, int]:
    """Per learner, the skills whose mastery first reached the threshold in [start, end)."""
    table = learner_skills
    query = (
        select(table.c.learner_key, func.count())
        .where(
            table.c.tenant_id == tenant_id,
            table.c.acquired_at < end,
            *([table.c.acquired_at >= start] if start is not None else []),
        )
        .group_by(table.c.learner_key)
    )
    return {key: count for key, count in connection.execute(query)}
