"""Repository for learners' enrollments in programs and courses."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection

from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.store.bulk import insert_rows, select_by_keys, select_by_learners
from stride.store.tables import learner_enrollments

_COLUMNS = (
    "learner_key",
    "activity_id",
    "activity_type",
    "status",
    "enrolled_at",
    "enrolled_event",
    "target_date",
    "cancelled_at",
    "last_change_at",
    "last_change_event",
)


def _enrollment(row: list[Any]) -> Enrollment:
    row[3] = EnrollmentStatus(row[3])
    return Enrollment(*row)


def load_enrollments(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Enrollment]:
    if not pairs:
        return {}
    rows = select_by_keys(
        connection, learner_enrollments, _COLUMNS, tenant_id, ("learner_key", "activity_id"), pairs
    )
    loaded = (_enrollment(row) for row in rows)
    return {(e.learner_key, e.activity_id): e for e in loaded}


def enrollments_of(connection: Connection, tenant_id: str, learner_key: str) -> list[Enrollment]:
    rows = select_by_learners(connection, learner_enrollments, _COLUMNS, tenant_id, [learner_key])
    return sorted((_enrollment(row) for row in rows), key=lambda e: (e.enrolled_at, e.activity_id))


def save_enrollments(
    connection: Connection, tenant_id: str, enrollments: Iterable[Enrollment]
) -> None:
    rows = [
        (
            tenant_id,
            e.learner_key,
            e.activity_id,
            e.activity_type,
            e.status.value,
            e.enrolled_at,
            e.enrolled_event,
            e.target_date,
            e.cancelled_at,
            e.last_change_at,
            e.last_change_event,
        )
        for e in enrollments
    ]
    insert_rows(connection, learner_enrollments, ("tenant_id", *_COLUMNS), rows, "update")
