"""A learner's recent events from the log, for the analyses computed on read."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from stride.events.recorded import RecordedEvent, recorded_from_payload
from stride.progress.activity import ActivityProgress
from stride.progress.sessions import SessionEvent
from stride.store.read_models import activity_from_row
from stride.store.tables import events, learner_activities

# Enough for years of daily practice; bounds the cost of one read.
MAX_HISTORY_EVENTS = 20_000


def learner_events(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    types: Iterable[str] | None = None,
    limit: int = MAX_HISTORY_EVENTS,
) -> list[RecordedEvent]:
    """The learner's latest `limit` events (of `types`), oldest first, without derived ones."""
    query = (
        select(events.c.event_id, events.c.event_time, events.c.payload)
        .where(events.c.tenant_id == tenant_id, events.c.learner_key == learner_key)
        .order_by(events.c.event_time.desc(), events.c.event_id.desc())
        .limit(limit)
    )
    if types is not None:
        query = query.where(events.c.type.in_(list(types)))
    # .all() fetches in one go; iterating the result would fetch row by row.
    recorded = [
        recorded_from_payload(event_id, learner_key, event_time, payload)
        for event_id, event_time, payload in connection.execute(query).all()
    ]
    recorded.reverse()
    return [event for event in recorded if not event.derived]


def learner_attempts(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    types: Iterable[str],
    limit: int = MAX_HISTORY_EVENTS,
) -> list[RecordedEvent]:
    """The learner's latest `limit` events of `types`, oldest first and without derived ones,
    carrying only what grading reads (activity, score, success, skills): the database extracts
    those fields instead of Python parsing whole payloads."""
    payload = events.c.payload
    query = (
        select(
            events.c.event_id,
            events.c.event_time,
            events.c.type,
            payload[("activity", "id")].as_string(),
            payload[("result", "score")].as_float(),
            payload[("result", "success")].as_boolean(),
            payload["skills"],
            payload["derived"].as_boolean(),
        )
        .where(
            events.c.tenant_id == tenant_id,
            events.c.learner_key == learner_key,
            events.c.type.in_(list(types)),
        )
        .order_by(events.c.event_time.desc(), events.c.event_id.desc())
        .limit(limit)
    )
    attempts = [
        RecordedEvent(
            event_id=event_id,
            learner_key=learner_key,
            type=type_,
            timestamp=at,
            activity_id=activity_id,
            score=score,
            success=success,
            skills=tuple(skills or ()),
        )
        for event_id, at, type_, activity_id, score, success, skills, derived in connection.execute(
            query
        ).all()
        if not derived
    ]
    attempts.reverse()
    return attempts


def learner_moments(
    connection: Connection, tenant_id: str, learner_key: str, limit: int = MAX_HISTORY_EVENTS
) -> list[SessionEvent]:
    """The learner's latest `limit` events, oldest first and without derived ones, carrying
    only what sessions are cut by (time, type, session id, duration): the database extracts
    those fields instead of Python parsing whole payloads."""
    payload = events.c.payload
    query = (
        select(
            events.c.event_id,
            events.c.event_time,
            events.c.type,
            payload["session"].as_string(),
            payload[("result", "duration_s")].as_float(),
            payload["derived"].as_boolean(),
        )
        .where(events.c.tenant_id == tenant_id, events.c.learner_key == learner_key)
        .order_by(events.c.event_time.desc(), events.c.event_id.desc())
        .limit(limit)
    )
    moments = [
        SessionEvent(event_id, at, type_, session, None, None, None, (), duration)
        for event_id, at, type_, session, duration, derived in connection.execute(query).all()
        if not derived
    ]
    moments.reverse()
    return moments


def learner_activities_of(
    connection: Connection, tenant_id: str, learner_key: str
) -> dict[str, ActivityProgress]:
    table = learner_activities
    rows = connection.execute(
        select(table).where(table.c.tenant_id == tenant_id, table.c.learner_key == learner_key)
    )
    loaded = (activity_from_row(row) for row in rows)
    return {a.activity_id: a for a in loaded}
