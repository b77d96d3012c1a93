"""Fold events into the usage, metrics and funnel rollups (for the analytics projection)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from stride.analytics.usage_fold import UsageDelta, fold_usage, keep_earliest, period_start
from stride.events.recorded import RecordedEvent, recorded_from_payload
from stride.store import analytics_usage as store
from stride.store import event_log


def project_usage(connection: Connection, tenant_id: str, events: Sequence[RecordedEvent]) -> None:
    """Add a batch's events to the rollups (a few set-based statements per batch)."""
    delta = fold_usage(events)
    if not delta.type_days:
        return
    _add_counters(connection, tenant_id, delta)
    store.add_uniques(connection, tenant_id, store.insert_marks(connection, tenant_id, delta.marks))
    store.merge_first_use(connection, tenant_id, delta.first_use)
    stored = store.load_steps(connection, tenant_id, delta.steps.keys())
    merged = {key: keep_earliest(times, stored.get(key, ())) for key, times in delta.steps.items()}
    store.save_steps(connection, tenant_id, {k: v for k, v in merged.items() if v != stored.get(k)})


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
