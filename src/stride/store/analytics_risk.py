"""Repository for at-risk analytics: the read-model rows the rules and the risk model read,
and each tenant's fitted dropout-risk model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.store.bulk import select_by_keys
from stride.store.tables import learner_activities, learner_days, learner_enrollments, risk_models
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
    rows = select_by_keys(
        connection,
        learner_days,
        ("learner_key", "day", "events", "activity_ms", "session_ms"),
        tenant_id,
        ("learner_key",),
        [(key,) for key in learner_keys],
    )
    days: dict[str, list[DayRow]] = defaultdict(list)
    for key, day, events, activity_ms, session_ms in rows:
        days[key].append(DayRow(day, events, max(activity_ms, session_ms) / 60_000))
    return days


def activities_of(
    connection: Connection, tenant_id: str, learner_keys: Collection[str]
) -> dict[str, dict[str, ActivityProgress]]:
    """Each learner's activity rows by activity id."""
    rows = select_by_keys(
        connection,
        learner_activities,
        _ACTIVITY_COLUMNS,
        tenant_id,
        ("learner_key",),
        [(key,) for key in learner_keys],
    )
    found: dict[str, dict[str, ActivityProgress]] = defaultdict(dict)
    for row in rows:
        row[3] = ActivityStatus(row[3])
        activity = ActivityProgress(*row)
        found[activity.learner_key][activity.activity_id] = activity
    return found


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
