"""Patterns and trends read the fields they need straight from the log's JSON: the same
sessions and graded attempts as parsing every payload gives, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from stride.events.validation import ValidationLimits
from stride.ingest.mastery_projector import mastery_rules
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.learners.history import learner_attempts, learner_events, learner_moments
from stride.learners.insights import _session_events
from stride.privacy.pseudonym import learner_key
from stride.progress.mastery import ATTEMPT_EVENT_TYPES, graded_attempt
from stride.progress.sessions import session_durations, summarize_sessions
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

NOW = datetime.now(UTC).replace(microsecond=0)


def test_moments_cut_the_same_sessions_as_full_events(
    engine: Engine, tenant: TenantUnderTest
) -> None:
    sent = []
    for day in range(6):
        start = NOW - timedelta(days=day, hours=3)
        session = f"s-{day}" if day % 2 else None  # explicit and inferred sessions
        if session:
            sent.append(
                make_event(type="session.started", timestamp=start.isoformat(), session=session)
            )
        for n in range(5):
            at = start + timedelta(minutes=7 * n + (50 if n == 4 else 0))
            event = make_event(
                timestamp=at.isoformat(),
                result={"score": 0.5, "duration_s": 60.5 * n},
            )
            if session:
                event["session"] = session
            sent.append(event)
        if session:
            sent.append(
                make_event(
                    type="session.ended",
                    timestamp=(start + timedelta(hours=2)).isoformat(),
                    session=session,
                    result={"duration_s": 7200},
                )
            )
    scope: TenantScope = tenant.scope
    report = ingest_events(engine, scope, sent, ValidationLimits(NOW, timedelta(hours=1)), NOW)
    assert all(o.status.value == "accepted" for o in report.outcomes)
    key = learner_key(scope.learner_secret, "learner-1")
    with engine.connect() as connection:
        moments = learner_moments(connection, tenant.tenant_id, key)
        full = learner_events(connection, tenant.tenant_id, key)
        rules = mastery_rules(connection, tenant.tenant_id)
    assert [m.timestamp for m in moments] == [e.timestamp for e in full]
    expected = [s.duration_s for s in summarize_sessions(_session_events(full, rules))]
    assert session_durations(moments) == expected
    assert len(expected) > 6 and any(d >= 7200 for d in expected)


def test_attempts_grade_the_same_as_full_events(engine: Engine, tenant: TenantUnderTest) -> None:
    def attempt(n: int, **fields: object) -> dict[str, object]:
        at = (NOW - timedelta(hours=n)).isoformat()
        return make_event(type="exercise.attempted", timestamp=at, **fields)

    sent = [
        attempt(1, result={"score": 0.75}, skills=["fractions", "ratios"]),
        attempt(2, result={"success": False}, skills=["fractions"]),
        attempt(3, result={"score": 1, "success": True}, skills=["ratios"]),
        attempt(4, result={"duration_s": 30}),  # ungraded
        attempt(5, result={"score": 0.2}, skills=[]),
        make_event(type="assessment.submitted", timestamp=NOW.isoformat(), result={"score": 0.9}),
        make_event(type="activity.progressed", timestamp=NOW.isoformat(), result={"score": 0.4}),
    ]
    scope: TenantScope = tenant.scope
    report = ingest_events(engine, scope, sent, ValidationLimits(NOW, timedelta(hours=1)), NOW)
    assert all(o.status.value == "accepted" for o in report.outcomes)
    key = learner_key(scope.learner_secret, "learner-1")
    with engine.connect() as connection:
        light = learner_attempts(connection, tenant.tenant_id, key, ATTEMPT_EVENT_TYPES)
        full = learner_events(connection, tenant.tenant_id, key, ATTEMPT_EVENT_TYPES)
        rules = mastery_rules(connection, tenant.tenant_id)
    assert len(light) == len(full) == 6
    for cheap, whole in zip(light, full, strict=True):
        assert (cheap.event_id, cheap.timestamp, cheap.score, cheap.skills) == (
            whole.event_id,
            whole.timestamp,
            whole.score,
            whole.skills,
        )
        assert graded_attempt(cheap, rules) == graded_attempt(whole, rules)
