"""Recompute read models from the event log (after late data, a bug fix or a time-zone change)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import Connection, Engine, delete

from stride.analytics.content_projector import forget_learner_content
from stride.analytics.engagement_projector import forget_learner_engagement
from stride.analytics.projection_job import fold_analytics
from stride.analytics.usage_projection import forget_learner_usage
from stride.errors import Conflict
from stride.events.recorded import RecordedEvent, recorded_from_payload
from stride.ingest.mastery_projector import project_mastery
from stride.ingest.projector import project_events
from stride.store import analytics_cursor, event_log
from stride.store.learners import load_timezones
from stride.store.read_models import delete_read_models
from stride.store.retention import has_deleted_events
from stride.store.tables import learner_skills
from stride.store.transactions import write_transaction


def _recorded(event: event_log.LoggedEvent) -> RecordedEvent:
    return recorded_from_payload(event.event_id, event.learner_key, event.event_time, event.payload)


def check_log_is_whole(connection: Connection, tenant_id: str) -> None:
    """Raise Conflict when retention removed some of the tenant's events: a refold would drop
    their history from the read models."""
    if has_deleted_events(connection, tenant_id):
        raise Conflict(
            f"Retention removed old events of tenant {tenant_id}, so a rebuild from the log "
            "would lose their history from the read models; pass --force to rebuild anyway."
        )


def rebuild_tenant(
    engine: Engine,
    tenant_id: str,
    on_progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> int:
    """Drop and refold every read model of a tenant in one transaction; return events folded.

    Raises Conflict (see `check_log_is_whole`) after retention removed events, unless `force`.
    """
    folded = 0
    with write_transaction(engine) as connection:
        if not force:
            check_log_is_whole(connection, tenant_id)
        delete_read_models(connection, tenant_id)
        analytics_cursor.lock_cursor(connection, tenant_id)
        last = 0
        for chunk in event_log.iter_events(connection, tenant_id):
            recorded = [_recorded(e) for e in chunk]
            project_events(connection, tenant_id, recorded)
            fold_analytics(connection, tenant_id, recorded)
            last = chunk[-1].seq
            folded += len(chunk)
            if on_progress is not None:
                on_progress(len(chunk))
        analytics_cursor.set_cursor(connection, tenant_id, last)
    return folded


def rebuild_learner(connection: Connection, tenant_id: str, learner_key: str) -> int:
    """Refold one learner's read models inside the caller's transaction; return events folded."""
    cursor = forget_learner(connection, tenant_id, learner_key)
    return fold_learner(connection, tenant_id, learner_key, cursor)


def forget_learner(connection: Connection, tenant_id: str, learner_key: str) -> int:
    """Take one learner's share out of every read model; return the analytics cursor.

    Run it while the learner's events are still under its key: the usage rollups subtract
    the events they hold. The cursor stays locked (the projection cannot move it) until the
    caller's transaction ends, so `fold_learner` folds back exactly what was taken out.
    """
    cursor = analytics_cursor.lock_cursor(connection, tenant_id)
    forget_learner_content(connection, tenant_id, learner_key)
    forget_learner_usage(connection, tenant_id, learner_key, up_to=cursor)
    forget_learner_engagement(connection, tenant_id, learner_key)
    delete_read_models(connection, tenant_id, learner_key)
    return cursor


def fold_learner(connection: Connection, tenant_id: str, learner_key: str, cursor: int) -> int:
    """Fold one learner's events (read models forgotten first); return events folded."""
    folded = 0
    for chunk in event_log.iter_events(connection, tenant_id, learner_key):
        recorded = [_recorded(e) for e in chunk]
        project_events(connection, tenant_id, recorded)
        # The analytics rollups take events up to the cursor; the projection folds the rest.
        folded_before = [r for r, e in zip(recorded, chunk, strict=True) if e.seq <= cursor]
        fold_analytics(connection, tenant_id, folded_before)
        folded += len(chunk)
    return folded


def refold_mastery(
    connection: Connection, tenant_id: str, on_progress: Callable[[int], None] | None = None
) -> int:
    """Drop and refold a tenant's skill mastery from the log, after its rules changed (a new
    catalog mapping, threshold or model, or refitted parameters); return events read."""
    connection.execute(delete(learner_skills).where(learner_skills.c.tenant_id == tenant_id))
    read = 0
    for chunk in event_log.iter_events(connection, tenant_id):
        by_learner: dict[str, list[RecordedEvent]] = defaultdict(list)
        for logged in chunk:
            recorded = _recorded(logged)
            if not recorded.derived:
                by_learner[recorded.learner_key].append(recorded)
        timezones = load_timezones(connection, tenant_id, by_learner.keys())
        project_mastery(connection, tenant_id, by_learner, timezones)
        read += len(chunk)
        if on_progress is not None:
            on_progress(len(chunk))
    return read
