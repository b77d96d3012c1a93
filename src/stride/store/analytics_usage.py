"""SQL of the usage, metrics and funnel rollups: additive writes at ingest, grouped reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from stride.store.bulk import insert_new_rows, insert_rows, select_by_keys
from stride.store.tables import (
    funnel_steps,
    learner_stats,
    metric_buckets,
    metric_days,
    usage_first_use,
    usage_learner_marks,
    usage_type_days,
    usage_uniques,
)

UniqueKey = tuple[str, str, str, date, str]  # (type, dim, period, start, value)
CellRow = tuple[str, str, str, str, date, date, date]  # (type, field, dim, value, day, week, month)
MarkRow = tuple[str, str, str, str, date, str]  # (type, dim, value, period, start, learner key)
_MARK = ("type", "dim", "value", "period", "start", "learner_key")


def _insert(connection: Connection, table: Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _add_on_conflict(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    added: Sequence[str],
    lowest: Sequence[str] = (),
    highest: Sequence[str] = (),
) -> None:
    """INSERT rows; on a key conflict add `added`, keep the least of `lowest` and the greatest
    of `highest` (NULL counting as absent). Atomic per row, so concurrent batches add up."""
    if not rows:
        return
    statement = _insert(connection, table)
    new = statement.excluded
    updates: dict[str, Any] = {name: table.c[name] + new[name] for name in added}
    for name in lowest:
        updates[name] = case(
            (table.c[name].is_(None), new[name]),
            (and_(new[name].is_not(None), new[name] < table.c[name]), new[name]),
            else_=table.c[name],
        )
    for name in highest:
        updates[name] = case(
            (table.c[name].is_(None), new[name]),
            (and_(new[name].is_not(None), new[name] > table.c[name]), new[name]),
            else_=table.c[name],
        )
    keys = [column.name for column in table.primary_key.columns]
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)


# ---------------------------------------------------------------------------------- writes


def add_type_days(
    connection: Connection, tenant_id: str, counts: Counter[tuple[str, date]]
) -> None:
    rows = [(tenant_id, t, d, n) for (t, d), n in counts.items()]
    insert_rows(connection, usage_type_days, ("tenant_id", "type", "day", "events"), rows, "add")


def insert_marks(
    connection: Connection, tenant_id: str, marks: Collection[tuple[str, str, str, str, date, str]]
) -> Counter[UniqueKey]:
    """Insert the (type, dim, value, period, start, learner) markers not stored yet; return how
    many new learners each (type, dim, period, start, value) got."""
    fresh = insert_new_rows(connection, usage_learner_marks, _MARK, tenant_id, marks)
    return count_new_learners(fresh)


def new_marks(connection: Connection, tenant_id: str, marks: Collection[MarkRow]) -> list[MarkRow]:
    """Those of `marks` not stored yet (for `insert_fresh_marks` in a later transaction)."""
    if not marks:
        return []
    stored = select_by_keys(connection, usage_learner_marks, _MARK, tenant_id, _MARK, marks)
    found = {tuple(row) for row in stored}
    return [mark for mark in marks if mark not in found]


def insert_fresh_marks(
    connection: Connection, tenant_id: str, fresh: Sequence[MarkRow]
) -> Counter[UniqueKey]:
    """Insert markers known not to be stored (`new_marks`); the new learners they count."""
    rows = [(tenant_id, *mark) for mark in fresh]
    insert_rows(connection, usage_learner_marks, ("tenant_id", *_MARK), rows, "nothing")
    return count_new_learners(fresh)


def count_new_learners(fresh: Iterable[Sequence[Any]]) -> Counter[UniqueKey]:
    return Counter((t, dim, period, start, value) for t, dim, value, period, start, _ in fresh)


def add_uniques(connection: Connection, tenant_id: str, new: Counter[UniqueKey]) -> None:
    names = ("tenant_id", "type", "dim", "period", "start", "value", "learners")
    rows = [(tenant_id, *key, n) for key, n in new.items()]
    insert_rows(connection, usage_uniques, names, rows, "add")


def forget_marks(connection: Connection, tenant_id: str, learner_key: str) -> None:
    """Delete one learner's markers and take the learner out of the unique counts (a count
    that falls to none is deleted, as a rebuild would not have it)."""
    names = ("type", "dim", "period", "start", "value")
    owned = (usage_learner_marks.c.tenant_id == tenant_id) & (
        usage_learner_marks.c.learner_key == learner_key
    )
    gone = Counter(
        tuple(row)
        for row in connection.execute(
            select(*(usage_learner_marks.c[name] for name in names)).where(owned)
        )
    )
    if not gone:
        return
    add_uniques(connection, tenant_id, Counter({key: -n for key, n in gone.items()}))
    connection.execute(delete(usage_learner_marks).where(owned))
    connection.execute(
        delete(usage_uniques).where(
            usage_uniques.c.tenant_id == tenant_id, usage_uniques.c.learners <= 0
        )
    )


def earlier_first_use(
    connection: Connection, tenant_id: str, first: dict[tuple[str, str], datetime]
) -> list[tuple[str, str, datetime]]:
    """The (learner, type, first at) of `first` earlier than the stored one, or new."""
    if not first:
        return []
    names = ("learner_key", "type", "first_at")
    rows = select_by_keys(
        connection, usage_first_use, names, tenant_id, ("learner_key", "type"), first.keys()
    )
    stored = {(k, t): at for k, t, at in rows}
    return [
        (k, t, at) for (k, t), at in first.items() if (k, t) not in stored or at < stored[(k, t)]
    ]


def save_first_use(
    connection: Connection, tenant_id: str, changed: Sequence[tuple[str, str, datetime]]
) -> None:
    names = ("tenant_id", "learner_key", "type", "first_at")
    insert_rows(connection, usage_first_use, names, [(tenant_id, *r) for r in changed], "update")


@dataclass(frozen=True)
class CellDelta:
    count: int
    units: int
    micros: int
    low: float | None
    high: float | None


def add_cells(
    connection: Connection, tenant_id: str, cells: Iterable[tuple[CellRow, CellDelta]]
) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            **dict(zip(("type", "field", "dim", "value", "day", "week", "month"), k, strict=True)),
            "count": c.count,
            "sum_units": c.units,
            "sum_micros": c.micros,
            "min": c.low,
            "max": c.high,
        }
        for k, c in cells
    ]
    added = ["count", "sum_units", "sum_micros"]
    _add_on_conflict(connection, metric_days, rows, added, lowest=["min"], highest=["max"])


def add_buckets(
    connection: Connection,
    tenant_id: str,
    buckets: Counter[tuple[str, str, str, str, str, date, int]],
) -> None:
    """Add (type, field, dim, value, period, start, bucket) counts."""
    # One statement per batch (store.bulk): a batch adds to tens of thousands of buckets,
    # which SQLAlchemy's executemany sends to PostgreSQL one row at a time.
    names = ("tenant_id", "type", "field", "dim", "value", "period", "start", "bucket", "count")
    rows = [(tenant_id, *key, n) for key, n in buckets.items()]
    insert_rows(connection, metric_buckets, names, rows, "add")


def load_steps(
    connection: Connection, tenant_id: str, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], list[int]]:
    """The stored times of the (learner, step) rows that exist among `keys`."""
    if not keys:
        return {}
    names = ("learner_key", "step", "times")
    rows = select_by_keys(connection, funnel_steps, names, tenant_id, ("learner_key", "step"), keys)
    return {(row[0], row[1]): list(row[2]) for row in rows}


def save_steps(
    connection: Connection, tenant_id: str, steps: dict[tuple[str, str], list[int]]
) -> None:
    rows = [(tenant_id, k, s, times) for (k, s), times in steps.items()]
    insert_rows(
        connection, funnel_steps, ("tenant_id", "learner_key", "step", "times"), rows, "update"
    )


# ----------------------------------------------------------------------------------- reads


def type_day_counts(
    connection: Connection, tenant_id: str, start: date, end: date
) -> list[tuple[str, date, int]]:
    """(type, day, events) of the days in [start, end)."""
    t = usage_type_days
    query = select(t.c.type, t.c.day, t.c.events).where(
        t.c.tenant_id == tenant_id, t.c.day >= start, t.c.day < end
    )
    return [(r.type, r.day, int(r.events)) for r in connection.execute(query)]


def unique_counts(
    connection: Connection,
    tenant_id: str,
    period: str,
    starts: tuple[date, date],
    dim: str = "",
    event_type: str | None = None,
) -> list[tuple[str, date, str, int]]:
    """(type, period start, group value, learners) for periods starting in [starts)."""
    u = usage_uniques
    query = select(u.c.type, u.c.start, u.c.value, u.c.learners).where(
        u.c.tenant_id == tenant_id,
        u.c.dim == dim,
        u.c.period == period,
        u.c.start >= starts[0],
        u.c.start < starts[1],
    )
    if event_type is not None:
        query = query.where(u.c.type == event_type)
    return [(r.type, r.start, r.value, int(r.learners)) for r in connection.execute(query)]


def learners_per_type(
    connection: Connection, tenant_id: str, since: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """type -> (learners who ever did it, those whose first time is on or after `since`)."""
    f = usage_first_use
    recent = func.sum(case((f.c.first_at >= since, 1), else_=0)) if since else func.count()
    query = (
        select(f.c.type, func.count(), recent).where(f.c.tenant_id == tenant_id).group_by(f.c.type)
    )
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in connection.execute(query)}


def feature_learners(
    connection: Connection, tenant_id: str, prefix: str, since: datetime
) -> tuple[int, int]:
    """(learners who ever did a type starting with `prefix`, those whose first such event is
    on or after `since`)."""
    f = usage_first_use
    firsts = (
        select(func.min(f.c.first_at).label("first_at"))
        .where(f.c.tenant_id == tenant_id, f.c.type.startswith(prefix, autoescape=True))
        .group_by(f.c.learner_key)
        .subquery()
    )
    query = select(func.count(), func.sum(case((firsts.c.first_at >= since, 1), else_=0)))
    ever, recent = connection.execute(query).one()
    return int(ever), int(recent or 0)


def active_learners_since(connection: Connection, tenant_id: str, since: datetime) -> int:
    s = learner_stats
    query = select(func.count()).where(s.c.tenant_id == tenant_id, s.c.last_active >= since)
    return int(connection.execute(query).scalar_one())


@dataclass(frozen=True)
class CellTotals:
    period_start: date
    value: str
    count: int
    units: int
    micros: int
    low: float | None
    high: float | None


def cell_totals(
    connection: Connection,
    tenant_id: str,
    event_type: str,
    field: str,
    dim: str,
    period: str,
    days: tuple[date, date],
) -> list[CellTotals]:
    m = metric_days
    column = m.c[period]
    query = (
        select(
            column,
            m.c.value,
            func.sum(m.c.count),
            func.sum(m.c.sum_units),
            func.sum(m.c.sum_micros),
            func.min(m.c.min),
            func.max(m.c.max),
        )
        .where(*_cell_filter(m, tenant_id, event_type, field, dim, days))
        .group_by(column, m.c.value)
    )
    return [
        CellTotals(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), r[5], r[6])
        for r in connection.execute(query)
    ]


def bucket_totals(
    connection: Connection,
    tenant_id: str,
    event_type: str,
    field: str,
    dim: str,
    period: str,
    days: tuple[date, date],
) -> list[tuple[date, str, int, int]]:
    """(period start, group value, bucket, count) of the periods starting in [days)."""
    b = metric_buckets
    query = select(b.c.start, b.c.value, b.c.bucket, b.c.count).where(
        b.c.tenant_id == tenant_id,
        b.c.type == event_type,
        b.c.field == field,
        b.c.dim == dim,
        b.c.period == period,
        b.c.start >= days[0],
        b.c.start < days[1],
    )
    return [(r[0], r[1], int(r[2]), int(r[3])) for r in connection.execute(query)]


def _cell_filter(
    table: Table, tenant_id: str, event_type: str, field: str, dim: str, days: tuple[date, date]
) -> list[Any]:
    return [
        table.c.tenant_id == tenant_id,
        table.c.type == event_type,
        table.c.field == field,
        table.c.dim == dim,
        table.c.day >= days[0],
        table.c.day < days[1],
    ]
