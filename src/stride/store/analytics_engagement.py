"""Engagement, retention and lifecycle rollups: per-learner period rows and tenant counters."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Date,
    Integer,
    Table,
    and_,
    select,
)

from stride.store.bulk import driver_rows, insert_rows, select_by_learners
from stride.store.tables import (
    engagement_counts,
    engagement_learner_periods,
    engagement_learner_spans,
    engagement_rolling,
    retention_counts,
)

# (learner_key, kind, period_start, dimension, value, events, activity_ms, session_ms, sessions)
PeriodRowTuple = tuple[str, str, date, str, str, int, int, int, list[str]]
# (learner_key, kind, dimension, value, first_start, last_start)
SpanTuple = tuple[str, str, str, str, date, date]

ROW_COLUMNS = (
    "learner_key",
    "kind",
    "period_start",
    "dimension",
    "value",
    "events",
    "activity_ms",
    "session_ms",
    "sessions",
)
SPAN_COLUMNS = ("learner_key", "kind", "dimension", "value", "first_start", "last_start")
COUNT_KEYS = ("kind", "dimension", "value", "period_start")
COUNT_VALUES = ("learners", "new_learners", "continuing", "events", "active_ms", "sessions")
ROLLING_KEYS = ("dimension", "value", "window_days", "day")
RETENTION_KEYS = (
    "kind",
    "start_type",
    "return_type",
    "entry",
    "measure",
    "cohort",
    "period_offset",
)

# (learner_key, kind, far from, far to, near from, near to): period starts
Window = tuple[str, str, date, date, date, date]
# (kind, dimension, values; None: any value): the groups whose rows a window reads far
FarGroup = tuple[str, str, tuple[str, ...] | None]

_WINDOW_SQLITE = (
    "SELECT t.learner_key, t.kind, t.period_start, t.dimension, t.value, t.events, "
    "t.activity_ms, t.session_ms, CASE WHEN t.period_start "
    "BETWEEN json_extract(w.value, '$[4]') AND json_extract(w.value, '$[5]') "
    "THEN t.sessions END FROM json_each(?) AS w CROSS JOIN engagement_learner_periods AS t "
    "WHERE t.tenant_id = ? AND t.learner_key = json_extract(w.value, '$[0]') "
    "AND t.kind = json_extract(w.value, '$[1]') "
    "AND t.period_start BETWEEN json_extract(w.value, '$[2]') AND json_extract(w.value, '$[3]') "
    "AND (t.period_start BETWEEN json_extract(w.value, '$[4]') AND json_extract(w.value, '$[5]') "
    "OR {far})"
)
_WINDOW_POSTGRESQL = (
    "SELECT t.* FROM jsonb_array_elements(CAST(%s AS jsonb)) AS w(value) "
    "CROSS JOIN LATERAL (SELECT x.learner_key, x.kind, x.period_start, x.dimension, x.value, "
    "x.events, x.activity_ms, x.session_ms, CASE WHEN x.period_start "
    "BETWEEN CAST(w.value->>4 AS date) AND CAST(w.value->>5 AS date) THEN x.sessions END "
    "FROM engagement_learner_periods AS x "
    "WHERE x.tenant_id = %s AND x.learner_key = w.value->>0 AND x.kind = w.value->>1 "
    "AND x.period_start BETWEEN CAST(w.value->>2 AS date) AND CAST(w.value->>3 AS date) "
    "AND (x.period_start BETWEEN CAST(w.value->>4 AS date) AND CAST(w.value->>5 AS date) "
    "OR {far}) OFFSET 0) AS t"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@lru_cache(maxsize=4)
def _window_sql(dialect: str, far_groups: tuple[FarGroup, ...]) -> str:
    """The windows' query, with `far_groups` (constants of the fold, not input) written in."""
    row = "x" if dialect == "postgresql" else "t"
    clauses = []
    for kind, dimension, values in far_groups:
        clause = f"{row}.kind = {_literal(kind)} AND {row}.dimension = {_literal(dimension)}"
        if values is not None:
            clause += f" AND {row}.value IN ({', '.join(map(_literal, values))})"
        clauses.append(f"({clause})")
    far = " OR ".join(clauses) or "FALSE"
    template = _WINDOW_POSTGRESQL if dialect == "postgresql" else _WINDOW_SQLITE
    return template.replace("{far}", far)


def _rows(found: Iterable[Sequence[Any]]) -> list[PeriodRowTuple]:
    rows: list[PeriodRowTuple] = []
    days: dict[Any, date] = {}  # the rows of a read share few period starts
    for key, kind, start, dimension, value, events, activity_ms, session_ms, sessions in found:
        day = days.get(start)
        if day is None:  # SQLite hands dates back as text
            day = days[start] = date.fromisoformat(start) if isinstance(start, str) else start
        if sessions is None:
            sessions = []
        elif isinstance(sessions, str | bytes):
            sessions = orjson.loads(sessions)
        rows.append((key, kind, day, dimension, value, events, activity_ms, session_ms, sessions))
    return rows


def load_windows(
    connection: Connection,
    tenant_id: str,
    windows: Collection[Window],
    far_groups: tuple[FarGroup, ...],
) -> list[PeriodRowTuple]:
    """The rows of each window's (learner, kind) whose period starts between its near dates,
    and those of `far_groups` between its far dates (which hold the near ones). A batch
    changes rows within its near dates only, and only their presence is read beyond them: so
    the rows beyond come without their sessions (an empty list), which cost most to decode."""
    if not windows:
        return []
    document = orjson.dumps(
        [[key, kind, *(day.isoformat() for day in days)] for key, kind, *days in windows]
    ).decode()
    sql = _window_sql(connection.dialect.name, far_groups)
    return _rows(driver_rows(connection.exec_driver_sql(sql, (document, tenant_id))))


def load_learner_rows(
    connection: Connection, tenant_id: str, learner_key: str
) -> list[PeriodRowTuple]:
    """Every row of one learner."""
    table = engagement_learner_periods
    result = connection.execute(
        select(*(table.c[name] for name in ROW_COLUMNS)).where(
            table.c.tenant_id == tenant_id, table.c.learner_key == learner_key
        )
    )
    return _rows(result)


def load_spans(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> list[SpanTuple]:
    if not learner_keys:
        return []
    rows = select_by_learners(
        connection, engagement_learner_spans, SPAN_COLUMNS, tenant_id, learner_keys
    )
    return [tuple(row) for row in rows]


def save_rows(connection: Connection, tenant_id: str, rows: Iterable[PeriodRowTuple]) -> None:
    values = [(tenant_id, *row) for row in rows]
    insert_rows(
        connection, engagement_learner_periods, ("tenant_id", *ROW_COLUMNS), values, "update"
    )


def save_spans(connection: Connection, tenant_id: str, spans: Iterable[SpanTuple]) -> None:
    values = [(tenant_id, *span) for span in spans]
    insert_rows(
        connection, engagement_learner_spans, ("tenant_id", *SPAN_COLUMNS), values, "update"
    )


@lru_cache(maxsize=16)
def _add_sql(
    dialect: str, table: Table, key_names: tuple[str, ...], value_names: tuple[str, ...]
) -> str:
    names = ["tenant_id", *key_names, *value_names]
    keys = ", ".join(["tenant_id", *key_names])
    sums = ", ".join(f"{n} = {table.name}.{n} + excluded.{n}" for n in value_names)
    tail = f" ON CONFLICT ({keys}) DO UPDATE SET {sums}"
    if dialect == "sqlite":
        marks = ", ".join("?" * len(names))
        return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks}){tail}"
    casts = []
    for i, name in enumerate(names):
        kind = table.c[name].type
        cast = "date" if isinstance(kind, Date) else "bigint" if isinstance(kind, Integer) else None
        casts.append(f"CAST(w.value->>{i} AS {cast})" if cast else f"w.value->>{i}")
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(casts)} "
        f"FROM jsonb_array_elements(%s::jsonb) AS w(value){tail}"
    )


def _add(
    connection: Connection,
    table: Table,
    tenant_id: str,
    key_names: Sequence[str],
    value_names: Sequence[str],
    changes: Mapping[tuple[Any, ...], Sequence[int]],
) -> None:
    """Add `changes` (key -> values) to the counters; drop the rows that come to all zeros,
    so the table holds the same rows whatever the order the changes came in."""
    if not changes:
        return
    # Sorted keys: concurrent PostgreSQL batches lock shared counter rows in one order.
    rows = [
        (tenant_id, *(k.isoformat() if isinstance(k, date) else k for k in key), *values)
        for key, values in sorted(changes.items())
    ]
    sql = _add_sql(connection.dialect.name, table, tuple(key_names), tuple(value_names))
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(sql, rows)
    else:
        connection.exec_driver_sql(sql, (orjson.dumps(rows).decode(),))
    # Found through the table's partial index of zero rows (see store/tables.py).
    connection.execute(
        table.delete().where(
            table.c.tenant_id == tenant_id, and_(*(table.c[name] == 0 for name in value_names))
        )
    )


def add_counts(
    connection: Connection,
    tenant_id: str,
    changes: Mapping[tuple[str, str, str, date], Sequence[int]],
) -> None:
    _add(connection, engagement_counts, tenant_id, COUNT_KEYS, COUNT_VALUES, changes)


def add_rolling(
    connection: Connection, tenant_id: str, changes: Mapping[tuple[str, str, int, date], int]
) -> None:
    values = {key: (change,) for key, change in changes.items()}
    _add(connection, engagement_rolling, tenant_id, ROLLING_KEYS, ("learners",), values)


def add_retention(
    connection: Connection,
    tenant_id: str,
    changes: Mapping[tuple[str, str, str, str, str, date, int], int],
) -> None:
    values = {key: (change,) for key, change in changes.items()}
    _add(connection, retention_counts, tenant_id, RETENTION_KEYS, ("learners",), values)


# ----------------------------------------------------------------------------------- reads


def read_counts(
    connection: Connection,
    tenant_id: str,
    kind: str,
    dimension: str,
    first: date,
    last: date,
    values: Collection[str] | None = None,
) -> list[tuple[str, date, int, int, int, int, int, int]]:
    """(value, period_start, learners, new, continuing, events, active_ms, sessions) rows."""
    table = engagement_counts
    statement = select(
        table.c.value, table.c.period_start, *(table.c[name] for name in COUNT_VALUES)
    ).where(
        table.c.tenant_id == tenant_id,
        table.c.kind == kind,
        table.c.dimension == dimension,
        table.c.period_start.between(first, last),
    )
    if values is not None:
        statement = statement.where(table.c.value.in_(list(values)))
    return [tuple(row) for row in connection.execute(statement)]


def read_rolling(
    connection: Connection, tenant_id: str, dimension: str, first: date, last: date
) -> list[tuple[str, int, date, int]]:
    """(value, window_days, day, learners) of a dimension from `first` to `last`."""
    table = engagement_rolling
    rows = connection.execute(
        select(table.c.value, table.c.window_days, table.c.day, table.c.learners).where(
            table.c.tenant_id == tenant_id,
            table.c.dimension == dimension,
            table.c.day.between(first, last),
        )
    )
    return [tuple(row) for row in rows]


def read_retention(
    connection: Connection,
    tenant_id: str,
    key: tuple[str, str, str, str],
    first: date,
    last: date,
) -> list[tuple[str, date, int, int]]:
    """(measure, cohort, offset, learners) for (kind, start type, return type, entry)."""
    table = retention_counts
    kind, start_type, return_type, entry = key
    statement = select(
        table.c.measure, table.c.cohort, table.c.period_offset, table.c.learners
    ).where(
        table.c.tenant_id == tenant_id,
        table.c.kind == kind,
        table.c.start_type == start_type,
        table.c.return_type == return_type,
        table.c.entry == entry,
        table.c.cohort.between(first, last),
    )
    return [tuple(row) for row in connection.execute(statement)]
