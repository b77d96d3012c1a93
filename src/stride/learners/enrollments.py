"""Enroll a learner, cancel an enrollment, and list enrollments with their completion.

Enrolling through the API records an `enrollment.created` event through the ingest pipeline,
so the log stays the one source of truth and a rebuild gives the same enrollments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from stride.catalog import Catalog
from stride.errors import FieldError, InvalidInput, NotFound
from stride.events.rules import TARGET_DATE_PROPERTY
from stride.events.validation import ValidationLimits, utc_text
from stride.ingest.pipeline import EventStatus, TenantScope, ingest_events
from stride.learners.history import learner_activities_of
from stride.privacy.pseudonym import learner_key
from stride.progress.activity import ActivityProgress
from stride.progress.completion import completion_tree
from stride.progress.enrollment import Enrollment, EnrollmentStatus
from stride.store.aliases import canonical_key
from stride.store.catalogs import load_catalog
from stride.store.enrollments import enrollments_of


@dataclass(frozen=True)
class EnrollmentView:
    activity_id: str
    activity_type: str
    status: EnrollmentStatus
    enrolled_at: datetime
    target_date: date | None
    cancelled_at: datetime | None
    completed_at: datetime | None
    completion: float | None  # None when the catalog does not know the activity
    cohort: str  # ISO week of enrollment, e.g. 2026-W47: how analytics group learners


@dataclass(frozen=True)
class EnrollmentRequest:
    activity_id: str
    activity_type: str | None = None
    target_date: date | None = None
    enrolled_at: datetime | None = None


def cohort_of(enrolled_at: datetime) -> str:
    year, week, _ = enrolled_at.isocalendar()
    return f"{year}-W{week:02d}"


def enrollment_view(
    enrollment: Enrollment,
    catalog: Catalog | None,
    activities: dict[str, ActivityProgress],
    now: datetime,
) -> EnrollmentView:
    status, completed_at, completion = enrollment.status, None, None
    if catalog is not None and enrollment.activity_id in catalog.activities:
        tree = completion_tree(catalog, enrollment.activity_id, activities, now=now)
        completion = tree.completion
        completed_at = tree.completed_at
        if status is EnrollmentStatus.ACTIVE and completed_at is not None:
            status = EnrollmentStatus.COMPLETED
    return EnrollmentView(
        activity_id=enrollment.activity_id,
        activity_type=enrollment.activity_type,
        status=status,
        enrolled_at=enrollment.enrolled_at,
        target_date=enrollment.target_date,
        cancelled_at=enrollment.cancelled_at,
        completed_at=completed_at,
        completion=completion,
        cohort=cohort_of(enrollment.enrolled_at),
    )


def list_enrollments(
    connection: Connection, tenant_id: str, learner_key_: str, now: datetime
) -> list[EnrollmentView]:
    found = enrollments_of(connection, tenant_id, learner_key_)
    if not found:
        return []
    stored = load_catalog(connection, tenant_id)
    activities = learner_activities_of(connection, tenant_id, learner_key_)
    catalog = stored.catalog if stored else None
    return [enrollment_view(e, catalog, activities, now) for e in found]


def _activity_type(connection: Connection, tenant_id: str, request: EnrollmentRequest) -> str:
    stored = load_catalog(connection, tenant_id)
    known = stored.catalog.activities.get(request.activity_id) if stored else None
    if known is not None:
        if request.activity_type is not None and request.activity_type != known.type:
            raise InvalidInput(
                "The activity type does not match the catalog.",
                [FieldError("activity_type", f"the catalog says {known.type}")],
            )
        return known.type
    if request.activity_type is None:
        raise InvalidInput(
            "The catalog does not know this activity; say whether it is a program or a course.",
            [FieldError("activity_type", "required for an activity the catalog does not know")],
        )
    return request.activity_type


def _record(
    engine: Engine,
    scope: TenantScope,
    event: dict[str, object],
    limits: ValidationLimits,
    now: datetime,
) -> None:
    report = ingest_events(engine, scope, [event], limits, now)
    outcome = report.outcomes[0]
    if outcome.status is EventStatus.REJECTED:
        raise InvalidInput("The enrollment is not valid.", list(outcome.errors))


def enroll(
    engine: Engine,
    scope: TenantScope,
    learner_id: str,
    request: EnrollmentRequest,
    limits: ValidationLimits,
    now: datetime,
) -> EnrollmentView:
    with engine.connect() as connection:
        activity_type = _activity_type(connection, scope.tenant_id, request)
    event: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "type": "enrollment.created",
        "learner": learner_id,
        "timestamp": utc_text(request.enrolled_at or now),
        "activity": {"id": request.activity_id, "type": activity_type},
    }
    if request.target_date is not None:
        event["properties"] = {TARGET_DATE_PROPERTY: request.target_date.isoformat()}
    _record(engine, scope, event, limits, now)
    return _view_of(engine, scope, learner_id, request.activity_id, now)


def cancel_enrollment(
    engine: Engine,
    scope: TenantScope,
    learner_id: str,
    activity_id: str,
    limits: ValidationLimits,
    now: datetime,
) -> EnrollmentView:
    current = _view_of(engine, scope, learner_id, activity_id, now)
    event: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "type": "enrollment.cancelled",
        "learner": learner_id,
        "timestamp": utc_text(now),
        "activity": {"id": activity_id, "type": current.activity_type},
    }
    _record(engine, scope, event, limits, now)
    return _view_of(engine, scope, learner_id, activity_id, now)


def _view_of(
    engine: Engine, scope: TenantScope, learner_id: str, activity_id: str, now: datetime
) -> EnrollmentView:
    with engine.connect() as connection:
        key = canonical_key(
            connection, scope.tenant_id, learner_key(scope.learner_secret, learner_id)
        )
        for view in list_enrollments(connection, scope.tenant_id, key, now):
            if view.activity_id == activity_id:
                return view
    raise NotFound("This learner is not enrolled in this activity.")
