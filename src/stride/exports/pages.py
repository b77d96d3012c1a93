"""Reading a dataset's rows page by page, by primary key (keyset paging): constant memory.

The only SQL of the exports. Each page is one short query on its own connection, so an export
that a slow client reads for an hour holds no transaction (nor SQLite's WAL) open meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Label,
    Select,
    String,
    Table,
    Text,
    cast,
    func,
    literal_column,
    select,
    tuple_,
)

from stride.exports.datasets import (
    ACHIEVEMENTS,
    CERTIFICATES,
    DAYS,
    ENROLLMENTS,
    EVENTS,
    GOALS,
    LEARNERS,
    POINTS,
    PROGRESS,
    SKILLS,
    Dataset,
    Kind,
)
from stride.exports.filters import ExportFilter
from stride.store.tables import (
    credentials,
    events,
    learner_achievements,
    learner_activities,
    learner_days,
    learner_enrollments,
    learner_goals,
    learner_points,
    learner_skills,
    learner_stats,
)

PAGE_SIZE = 5000
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Source:
    """Where a dataset's rows come from: the table, its key after the tenant, what to select
    and how a selected row becomes a row in the dataset's column order."""

    table: Table
    key: tuple[str, ...]
    selected: tuple[ColumnElement[Any], ...]
    to_row: Callable[[Any], Row]


def _event_row(raw: Any) -> Row:
    payload = orjson.loads(raw.payload_text)
    activity = payload.get("activity") or {}
    result = payload.get("result") or {}
    score, duration = result.get("score"), result.get("duration_s")
    return (
        raw.seq,
        raw.event_id,
        raw.learner_key,
        raw.type,
        raw.event_time,
        raw.received_at,
        activity.get("id"),
        activity.get("type"),
        (payload.get("context") or {}).get("program"),
        float(score) if score is not None else None,
        result.get("success"),
        float(duration) if duration is not None else None,
        payload,
    )


def _day_row(raw: Any) -> Row:
    # As the timeline shows a day: active time is the larger of activity and session time
    # (progress/daily.py), and sessions are counted (their ids are the platform's own).
    key, day, count, activity_ms, session_ms, sessions = raw
    return (key, day, count, len(sessions), max(activity_ms, session_ms), activity_ms, session_ms)


def _table_source(
    dataset: Dataset,
    table: Table,
    key: tuple[str, ...],
    stored_as: dict[str, str] | None = None,
) -> Source:
    """Columns named as in the dataset; `stored_as` maps the few the table names otherwise."""
    renamed = stored_as or {}
    selected = tuple(table.c[renamed.get(name, name)].label(name) for name in dataset.names)
    return Source(table, key, selected, tuple)


SOURCES: dict[str, Source] = {
    EVENTS.name: Source(
        events,
        ("seq",),
        (
            *(events.c[name] for name in EVENTS.names[:6]),
            cast(events.c.payload, Text).label("payload_text"),
        ),
        _event_row,
    ),
    PROGRESS.name: _table_source(PROGRESS, learner_activities, ("learner_key", "activity_id")),
    SKILLS.name: _table_source(SKILLS, learner_skills, ("learner_key", "skill_id")),
    ACHIEVEMENTS.name: _table_source(
        ACHIEVEMENTS, learner_achievements, ("learner_key", "achievement_id")
    ),
    ENROLLMENTS.name: _table_source(
        ENROLLMENTS, learner_enrollments, ("learner_key", "activity_id")
    ),
    LEARNERS.name: _table_source(
        LEARNERS, learner_stats, ("learner_key",), {"last_streak": "last_run"}
    ),
    DAYS.name: Source(
        learner_days,
        ("learner_key", "day"),
        tuple(
            learner_days.c[name]
            for name in ("learner_key", "day", "events", "activity_ms", "session_ms", "sessions")
        ),
        _day_row,
    ),
    POINTS.name: _table_source(POINTS, learner_points, ("learner_key", "week")),
    GOALS.name: _table_source(
        GOALS,
        learner_goals,
        ("learner_key", "goal_id"),
        {
            "updated_at": "set_at",
            "set_event_id": "set_event",
            "cancelled_event_id": "cancelled_event",
        },
    ),
    # By the primary key: credential ids are UUIDs, so this order says nothing of the learner.
    # The signed document (`jwt`) and the verification code stay out: each lets whoever holds
    # it show or look up the learner's credential (with its salted identity hash), and every
    # value worth analysing is in the other columns.
    CERTIFICATES.name: _table_source(
        CERTIFICATES, credentials, ("credential_id",), {"status_list_id": "list_id"}
    ),
}


@contextmanager
def page_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for one page. On SQLite, without memory-mapped reads meanwhile: a scan
    of the whole log through the map would count every page of the file it touched (up to
    the 2 GiB map) as the process's own memory."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        previous = int(connection.exec_driver_sql("PRAGMA mmap_size").scalar_one())
        connection.exec_driver_sql("PRAGMA mmap_size=0")
        try:
            yield connection
        finally:
            connection.exec_driver_sql(f"PRAGMA mmap_size={previous}")


def _tenant_column(table: Table, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite" and table is events:
        # `+tenant_id` keeps SQLite off the (tenant_id, event_id) index: with it, every page
        # would read all the tenant's remaining events and sort them by seq; without it, the
        # page is a range of the rowid (seq) itself.
        return literal_column(f"+{table.name}.tenant_id", String)
    return table.c.tenant_id


def _filtered(
    query: Select[Any],
    dataset: Dataset,
    tenant_id: str,
    where: ExportFilter,
    tenant_column: ColumnElement[Any],
) -> Any:
    source = SOURCES[dataset.name]
    query = query.where(tenant_column == tenant_id)
    moment = _time_column(source, dataset)
    if dataset.time_kind is Kind.DATE:
        # A DATE compares with the days themselves: against midnight instants it would not
        # (SQLite compares '2024-05-01' with '2024-05-01 00:00:00' as text).
        if where.first_day is not None:
            query = query.where(moment >= where.first_day)
        if where.last_day is not None:
            query = query.where(moment <= where.last_day)
        return query
    if where.start is not None:
        query = query.where(moment >= where.start)
    if where.end is not None:
        query = query.where(moment < where.end)
    if where.types:
        query = query.where(source.table.c.type.in_(where.types))
    return query


def _time_column(source: Source, dataset: Dataset) -> ColumnElement[Any]:
    """The table's column behind the dataset's time column (which may be a label)."""
    for selected in source.selected:
        if selected.key == dataset.time_column and isinstance(selected, Label):
            return selected.element
    return source.table.c[dataset.time_column]


def read_page(
    connection: Connection,
    dataset: Dataset,
    tenant_id: str,
    where: ExportFilter,
    after: Sequence[Any] | None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Row], tuple[Any, ...] | None]:
    """Up to `limit` rows after the key `after` (None: from the start), and the last key read
    (None when the page came back empty: the end). Filters by tenant, time and type here;
    program and consent are the caller's."""
    source = SOURCES[dataset.name]
    keys = [source.table.c[name] for name in source.key]
    tenant_column = _tenant_column(source.table, connection.dialect.name)
    query = _filtered(select(*source.selected), dataset, tenant_id, where, tenant_column)
    if after is not None:
        query = query.where(
            keys[0] > after[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*after)
        )
    raws = connection.execute(query.order_by(*keys).limit(limit)).all()
    if not raws:
        return [], None
    last = tuple(getattr(raws[-1], name) for name in source.key)
    return [source.to_row(raw) for raw in raws], last


def count_rows(
    connection: Connection, dataset: Dataset, tenant_id: str, where: ExportFilter
) -> int:
    """How many rows the tenant, time and type filters leave (before program and consent)."""
    table = SOURCES[dataset.name].table
    query = select(func.count()).select_from(table)
    query = _filtered(query, dataset, tenant_id, where, table.c.tenant_id)
    return int(connection.execute(query).scalar_one())
