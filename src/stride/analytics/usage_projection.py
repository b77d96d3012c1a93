"""Fold events into the usage, metrics and funnel rollups (for the analytics projection)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from stride.analytics.usage_fold import UsageDelta, fold_usage, keep_earliest, period_start
from stride.events.recorded import RecordedEvent, recorded_from_payload
from stride.store import analytics_usage as store
from stride.store import event_log
from stride.store.analytics_usage import MarkRow


@dataclass(frozen=True)
class UsageFold:
    """What a batch adds to the rollups, with what depends on the rows stored when it was
    worked out: its markers not stored yet (None: left to the insert to tell, PostgreSQL),
    its earlier first uses, and its funnel times merged with the stored ones (changed only)."""

    delta: UsageDelta
    fresh_marks: list[MarkRow] | None
    first_use: list[tuple[str, str, datetime]]
    steps: dict[tuple[str, str], list[int]]


def project_usage(connection: Connection, tenant_id: str, events: Sequence[RecordedEvent]) -> None:
    """Add a batch's events to the rollups (a few set-based statements per batch)."""
    save_usage(connection, tenant_id, read_usage(connection, tenant_id, events))


def read_usage(
    connection: Connection, tenant_id: str, events: Sequence[RecordedEvent]
) -> UsageFold:
    """Fold a batch and read what its writes depend on (no write: on SQLite the projection
    does this before taking the write lock, see analytics/projection_job.py)."""
    delta = fold_usage(events)
    if not delta.type_days:
        return UsageFold(delta, [], [], {})
    # PostgreSQL inserts the markers and tells the new ones in one statement: no read first.
    postgresql = connection.dialect.name == "postgresql"
    fresh = None if postgresql else store.new_marks(connection, tenant_id, delta.marks)
    stored = store.load_steps(connection, tenant_id, delta.steps.keys())
    merged = {key: keep_earliest(times, stored.get(key, ())) for key, times in delta.steps.items()}
    return UsageFold(
        delta,
        fresh,
        store.earlier_first_use(connection, tenant_id, delta.first_use),
        {key: times for key, times in merged.items() if times != stored.get(key)},
    )


def save_usage(connection: Connection, tenant_id: str, fold: UsageFold) -> None:
    """Write a batch's fold (`read_usage`) in the same transaction as its reads, or in a later
    one where nothing it read has changed since."""
    if not fold.delta.type_days:
        return
    _add_counters(connection, tenant_id, fold.delta)
    if fold.fresh_marks is None:
        new_learners = store.insert_marks(connection, tenant_id, fold.delta.marks)
    else:
        new_learners = store.insert_fresh_marks(connection, tenant_id, fold.fresh_marks)
    store.add_uniques(connection, tenant_id, new_learners)
    store.save_first_use(connection, tenant_id, fold.first_use)
    store.save_steps(connection, tenant_id, fold.steps)


def forget_learner_usage(
    connection: Connection, tenant_id: str, learner_key: str, up_to: int
) -> None:
    """Take one learner's events up to log position `up_to` (those the rollups hold) out of
    the tenant-level counters, and the learner out of the unique counts, before a one-learner
    refold adds them back (perhaps under another learner: an alias linked or unlinked)."""
    store.forget_marks(connection, tenant_id, learner_key)
    for chunk in event_log.iter_events(connection, tenant_id, learner_key):
        events = [
            recorded_from_payload(e.event_id, e.learner_key, e.event_time, e.payload)
            for e in chunk
            if e.seq <= up_to
        ]
        _add_counters(connection, tenant_id, fold_usage(events, sign=-1))


def _add_counters(connection: Connection, tenant_id: str, delta: UsageDelta) -> None:
    store.add_type_days(connection, tenant_id, delta.type_days)
    store.add_cells(
        connection,
        tenant_id,
        (
            (
                (*key, period_start(key[4], "week"), period_start(key[4], "month")),
                store.CellDelta(c.count, c.units, c.micros, c.low, c.high),
            )
            for key, c in delta.cells.items()
        ),
    )
    store.add_buckets(connection, tenant_id, delta.buckets)
