"""Repository for at-risk analytics: the read-model rows the rules and the risk model read,
and each tenant's fitted dropout-risk model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    case,
    func,
    select,
    type_coerce,
)

from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.store.bulk import select_by_learners
from stride.store.codecs import codec_for, column_kind
from stride.store.tables import (
    learner_activities,
    learner_consents,
    learner_days,
    learner_enrollments,
    learner_stats,
    risk_models,
)
from stride.store.upsert import upsert_rows

ENROLLABLE = ("program", "course")
_ACTIVITY_COLUMNS = tuple(f.name for f in fields(ActivityProgress))


@dataclass(frozen=True)
class DayRow:
    day: date
    events: int
    minutes: float  # the larger of activity and session time, as the pace views count it


@dataclass(frozen=True)
class StoredRiskModel:
    status: str  # "accepted" or "rejected"
    fitted_at: datetime
    auc: float
    brier: float
    floor: float
    examples: int
    learners: int
    positives: int
    model: dict[str, Any]
    evaluation: dict[str, Any]


def program_enrollments(
    connection: Connection,
    tenant_id: str,
    program_id: str | None = None,
    learner_key: str | None = None,
) -> list[Enrollment]:
    """Every enrollment in a program or course (only one program's, or one learner's, when
    given), cancelled ones included, ordered by learner key then program."""
    table = learner_enrollments
    query = select(
        table.c.learner_key,
        table.c.activity_id,
        table.c.activity_type,
        table.c.status,
        table.c.enrolled_at,
        table.c.enrolled_event,
        table.c.target_date,
        table.c.cancelled_at,
        table.c.last_change_at,
        table.c.last_change_event,
    ).where(table.c.tenant_id == tenant_id, table.c.activity_type.in_(ENROLLABLE))
    if program_id is not None:
        query = query.where(table.c.activity_id == program_id)
    if learner_key is not None:
        query = query.where(table.c.learner_key == learner_key)
    rows = connection.execute(query.order_by(table.c.learner_key, table.c.activity_id))
    return [
        Enrollment(
            r.learner_key,
            r.activity_id,
            r.activity_type,
            EnrollmentStatus(r.status),
            r.enrolled_at,
            r.enrolled_event,
            r.target_date,
            r.cancelled_at,
            r.last_change_at,
            r.last_change_event,
        )
        for r in rows
    ]


def days_of(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, list[DayRow]]:
    """Each learner's active local days."""
    rows = select_by_learners(
        connection,
        learner_days,
        ("learner_key", "day", "events", "activity_ms", "session_ms"),
        tenant_id,
        learner_keys,
    )
    days: dict[str, list[DayRow]] = defaultdict(list)
    for key, day, events, activity_ms, session_ms in rows:
        days[key].append(DayRow(day, events, max(activity_ms, session_ms) / 60_000))
    return days


def activities_of(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, dict[str, ActivityProgress]]:
    """Each learner's activity rows by activity id."""
    rows = select_by_learners(
        connection, learner_activities, _ACTIVITY_COLUMNS, tenant_id, learner_keys
    )
    found: dict[str, dict[str, ActivityProgress]] = defaultdict(dict)
    for row in rows:
        row[3] = ActivityStatus(row[3])
        activity = ActivityProgress(*row)
        found[activity.learner_key][activity.activity_id] = activity
    return found


# ------------------------------------------------------------ the at-risk list's batch reads


@dataclass(frozen=True)
class OpenFilter:
    """Which enrollments the at-risk list reads: in a program or course, not cancelled, of a
    learner with at least `min_active_days` active days (and last active at or before
    `idle_before`, when given); optionally one program's."""

    min_active_days: int
    idle_before: datetime | None = None
    program_id: str | None = None


class OpenEnrollment(NamedTuple):
    learner_key: str
    program_id: str
    enrolled_at: datetime
    target_date: date | None
    active_days: int
    last_active: datetime


@dataclass(frozen=True, slots=True)
class DayTotals:
    """One learner's active days on or before an as-of day, summed by the database."""

    days: int
    first_ago: int  # days from the first active day to the as-of day
    last_ago: int  # days from the last active day to the as-of day
    weeks: tuple[int, int, int, int]  # active days 21-27, 14-20, 7-13 and 0-6 days ago
    events: int
    events_14d: int  # events 0-13 days ago
    events_14_28d: int  # events 14-27 days ago
    minutes: float


def _open_where(tenant_id: str, wanted: OpenFilter) -> list[ColumnElement[bool]]:
    e, s = learner_enrollments, learner_stats
    where = [
        e.c.tenant_id == tenant_id,
        e.c.activity_type.in_(ENROLLABLE),
        e.c.status != EnrollmentStatus.CANCELLED.value,
        s.c.active_days >= wanted.min_active_days,
    ]
    if wanted.idle_before is not None:
        where.append(s.c.last_active <= wanted.idle_before)
    if wanted.program_id is not None:
        where.append(e.c.activity_id == wanted.program_id)
    return where


def _open_select(tenant_id: str, wanted: OpenFilter, *columns: Any) -> Select[Any]:
    e, s = learner_enrollments, learner_stats
    joined = e.join(s, and_(s.c.tenant_id == e.c.tenant_id, s.c.learner_key == e.c.learner_key))
    return select(*columns).select_from(joined).where(*_open_where(tenant_id, wanted))


def _open_keys(tenant_id: str, wanted: OpenFilter) -> Select[Any]:
    return _open_select(tenant_id, wanted, learner_enrollments.c.learner_key).distinct()


def open_enrollments(
    connection: Connection, tenant_id: str, wanted: OpenFilter
) -> list[OpenEnrollment]:
    """The enrollments `wanted` selects, with the learner's active days and last activity:
    one query, the filtering done by the database."""
    e, s = learner_enrollments, learner_stats
    columns = [e.c.learner_key, e.c.activity_id, e.c.enrolled_at, e.c.target_date]
    columns += [s.c.active_days, s.c.last_active]
    raw, convert = _raw_columns(connection, columns)
    rows = connection.execute(_open_select(tenant_id, wanted, *raw)).fetchall()
    return [OpenEnrollment._make(convert(row)) for row in rows]


def _raw_columns(
    connection: Connection, columns: Sequence[Column[Any]]
) -> tuple[list[Any], Callable[[Sequence[Any]], list[Any]]]:
    """`columns` read as the driver gives them, and the function that converts a row as the
    column types would (the codecs' conversions: several times cheaper per value)."""
    codec = codec_for(connection.dialect)
    converters = [codec.out.get(column_kind(c.type, connection.dialect)) for c in columns]
    raw = [
        type_coerce(c, String) if f is not None else c
        for c, f in zip(columns, converters, strict=True)
    ]
    pairs = list(enumerate(converters))

    def convert(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, f in pairs:
            if f is not None:
                values[i] = f(values[i])
        return values

    return raw, convert


def open_activities(
    connection: Connection, tenant_id: str, wanted: OpenFilter
) -> dict[str, dict[str, ActivityProgress]]:
    """The activity rows of the learners `wanted` selects, by learner then activity id (one
    query for all of them)."""
    a = learner_activities
    raw, convert = _raw_columns(connection, [a.c[name] for name in _ACTIVITY_COLUMNS])
    query = select(*raw).where(
        a.c.tenant_id == tenant_id, a.c.learner_key.in_(_open_keys(tenant_id, wanted))
    )
    found: dict[str, dict[str, ActivityProgress]] = defaultdict(dict)
    statuses = {s.value: s for s in ActivityStatus}
    for row in connection.execute(query).fetchall():
        values = convert(row)
        values[3] = statuses[values[3]]
        activity = ActivityProgress(*values)
        found[activity.learner_key][activity.activity_id] = activity
    return found


def open_consents(
    connection: Connection, tenant_id: str, wanted: OpenFilter, purpose: str
) -> dict[str, bool]:
    """The recorded answers for `purpose` of the learners `wanted` selects (learners without
    one are absent)."""
    c = learner_consents
    query = select(c.c.learner_key, c.c.granted).where(
        c.c.tenant_id == tenant_id,
        c.c.purpose == purpose,
        c.c.learner_key.in_(_open_keys(tenant_id, wanted)),
    )
    return {key: bool(granted) for key, granted in connection.execute(query)}


def day_totals(
    connection: Connection, tenant_id: str, wanted: OpenFilter, as_of: date
) -> dict[str, DayTotals]:
    """Per learner `wanted` selects, their active days on or before `as_of` counted and
    summed by the database (no day row travels): what the risk features read of them."""
    d = learner_days

    def since(days_ago: int) -> ColumnElement[bool]:  # fewer than `days_ago` days before as_of
        return d.c.day > as_of - timedelta(days=days_ago)

    def count(*conditions: ColumnElement[bool]) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    def events(*conditions: ColumnElement[bool]) -> Any:
        return func.sum(case((and_(*conditions), d.c.events), else_=0))

    if connection.dialect.name == "postgresql":
        study_ms: Any = func.greatest(d.c.activity_ms, d.c.session_ms)
    else:
        study_ms = func.max(d.c.activity_ms, d.c.session_ms)  # SQLite's scalar max
    query = (
        select(
            d.c.learner_key,
            func.count(),
            func.min(d.c.day),
            func.max(d.c.day),
            count(since(28), ~since(21)),
            count(since(21), ~since(14)),
            count(since(14), ~since(7)),
            count(since(7)),
            func.sum(d.c.events),
            events(since(14)),
            events(since(28), ~since(14)),
            func.sum(study_ms),
        )
        .where(
            d.c.tenant_id == tenant_id,
            d.c.day <= as_of,
            d.c.learner_key.in_(_open_keys(tenant_id, wanted)),
        )
        .group_by(d.c.learner_key)
    )
    found = {}
    for key, n, first, last, w3, w2, w1, w0, total, recent, before, ms in connection.execute(query):
        found[key] = DayTotals(
            days=int(n),
            first_ago=(as_of - _day(first)).days,
            last_ago=(as_of - _day(last)).days,
            weeks=(int(w3), int(w2), int(w1), int(w0)),
            events=int(total),
            events_14d=int(recent),
            events_14_28d=int(before),
            minutes=int(ms) / 60_000,
        )
    return found


def _day(value: date | str) -> date:
    """MIN/MAX over a date column come back as text on SQLite."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def save_risk_model(connection: Connection, tenant_id: str, stored: StoredRiskModel) -> None:
    """Replace the tenant's model (accepted or rejected: the latest fit decides)."""
    row = {"tenant_id": tenant_id} | {f.name: getattr(stored, f.name) for f in fields(stored)}
    upsert_rows(connection, risk_models, [row])


def load_risk_model(connection: Connection, tenant_id: str) -> StoredRiskModel | None:
    row = connection.execute(
        select(risk_models).where(risk_models.c.tenant_id == tenant_id)
    ).first()
    if row is None:
        return None
    values = row._mapping
    return StoredRiskModel(**{f.name: values[f.name] for f in fields(StoredRiskModel)})
