"""A tenant's history spread over past days, and a retention policy to set on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, TenantScope, ingest_events
from stride.store.privacy import save_policy_document
from tests.factories import make_event

LEARNERS = ("ada-raw-1", "bo-raw-2")


def history(now: datetime, days: int = 100) -> list[dict[str, Any]]:
    """Two learners, one attempt each a day (alternating exercises) and a lesson every 10 days."""
    sent = []
    for day in range(days):
        at = now - timedelta(days=day, hours=1)
        for n, learner in enumerate(LEARNERS):
            sent.append(
                make_event(
                    learner=learner,
                    timestamp=(at - timedelta(minutes=n)).isoformat(),
                    activity={"id": f"course-1/ex-{day % 3}", "type": "exercise"},
                    result={"score": (day % 10) / 10, "success": day % 2 == 0, "duration_s": 60},
                )
            )
        if day % 10 == 0:
            sent.append(
                make_event(
                    type="activity.completed",
                    learner=LEARNERS[0],
                    timestamp=(at - timedelta(minutes=5)).isoformat(),
                    activity={"id": f"course-1/lesson-{day}", "type": "lesson"},
                    result={"completion": True, "duration_s": 300},
                )
            )
    return sent


def record_history(
    engine: Engine, scope: TenantScope, now: datetime, days: int = 100
) -> list[dict[str, Any]]:
    """Ingest `history` (in batches of at most 1000); return the events sent."""
    sent = history(now, days)
    limits = ValidationLimits(now, timedelta(hours=1))
    for start in range(0, len(sent), 1000):
        report = ingest_events(engine, scope, sent[start : start + 1000], limits, now)
        assert all(o.status is EventStatus.ACCEPTED for o in report.outcomes), report
    return sent


def set_retention(
    engine: Engine, tenant_id: str, days: int | None, archive: bool, now: datetime
) -> None:
    document = {"retention": {"raw_events_days": days, "archive": archive}}
    with engine.begin() as connection:
        save_policy_document(connection, tenant_id, document, now)
