"""Fold events into the engagement rollups (for the analytics projection), and take a learner
out of them before a refold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection

from stride.analytics.engagement_fold import (
    FAR_GROUPS,
    NEAR,
    REACH,
    Deltas,
    LearnerState,
    PeriodRow,
    RowKey,
    SpanKey,
    diff,
    fold_events,
)
from stride.analytics.periods import KINDS, Kind, index_start, period_index
from stride.analytics.retention_fold import RETENTION_DIMENSIONS
from stride.catalog.model import Catalog
from stride.events.recorded import RecordedEvent
from stride.progress.daily import local_day
from stride.store import analytics_engagement as store
from stride.store.catalogs import load_catalog


@dataclass(frozen=True)
class EngagementInputs:
    """What folding a batch into the engagement rollups reads: the result depends on nothing
    else (besides the batch and the learners' time zones)."""

    catalog_version: int | None
    catalog: Catalog | None = field(compare=False)  # a version's catalog never changes
    span_rows: list[store.SpanTuple]
    window_rows: list[store.PeriodRowTuple]


@dataclass(frozen=True)
class EngagementFold:
    """What folding a batch writes, worked out from `inputs`."""

    inputs: EngagementInputs
    rows: list[store.PeriodRowTuple]
    spans: list[store.SpanTuple]
    deltas: Deltas


def read_engagement_inputs(
    connection: Connection,
    tenant_id: str,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    timezones: Mapping[str, str],
) -> EngagementInputs:
    """What folding the batch's (non-derived) events needs from the database."""
    stored = load_catalog(connection, tenant_id)
    span_rows = store.load_spans(connection, tenant_id, by_learner.keys())
    spans = _spans(span_rows)
    windows = []
    for key, events in by_learner.items():
        zone = timezones.get(key, "UTC")
        days = [local_day(event.timestamp, zone) for event in events]
        types = {event.type for event in events}
        windows.extend(_windows(key, min(days), max(days), types, spans.get(key, {})))
    return EngagementInputs(
        stored.version if stored is not None else None,
        stored.catalog if stored is not None else None,
        span_rows,
        store.load_windows(connection, tenant_id, windows, FAR_GROUPS),
    )


def fold_engagement(
    inputs: EngagementInputs,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    timezones: Mapping[str, str],
) -> EngagementFold:
    """The rows, spans and tenant counters a batch changes (pure)."""
    spans = _spans(inputs.span_rows)
    before = _states(inputs.window_rows, spans)
    deltas = Deltas()
    changed_rows: list[store.PeriodRowTuple] = []
    changed_spans: list[store.SpanTuple] = []
    for key, events in by_learner.items():
        old = before.get(key) or LearnerState(spans=dict(spans.get(key, {})))
        new = fold_events(old, events, timezones.get(key, "UTC"), inputs.catalog)
        diff(old, new, deltas)
        changed_rows.extend(
            _row_tuple(key, row_key, row)
            for row_key, row in new.rows.items()
            if old.rows.get(row_key) is not row  # the fold keeps unchanged rows as they were
        )
        changed_spans.extend(
            (key, kind, dimension, value, index_start(f, kind), index_start(last, kind))
            for (kind, dimension, value), (f, last) in new.spans.items()
            if old.spans.get((kind, dimension, value)) != (f, last)
        )
    return EngagementFold(inputs, changed_rows, changed_spans, deltas)


def save_engagement(connection: Connection, tenant_id: str, fold: EngagementFold) -> None:
    store.save_rows(connection, tenant_id, fold.rows)
    store.save_spans(connection, tenant_id, fold.spans)
    _save_deltas(connection, tenant_id, fold.deltas)


def forget_learner_engagement(connection: Connection, tenant_id: str, learner_key: str) -> None:
    """Subtract one learner's share from the tenant counters (before their rows are deleted
    and refolded, e.g. in another time zone)."""
    spans = _spans(store.load_spans(connection, tenant_id, [learner_key]))
    states = _states(store.load_learner_rows(connection, tenant_id, learner_key), spans)
    before = states.get(learner_key) or LearnerState(spans=dict(spans.get(learner_key, {})))
    _save_deltas(connection, tenant_id, diff(before, LearnerState()))


def _windows(
    key: str,
    first_day: date,
    last_day: date,
    types: Collection[str],
    spans: Mapping[SpanKey, tuple[int, int]],
) -> list[store.Window]:
    """Per kind, the periods whose rows a batch from `first_day` to `last_day` can affect:
    for FAR_GROUPS, REACH around them, and around the previous last (or first) period of an
    event type where the batch may move it (retention's latest return and first entry); for
    the other groups, NEAR around them.

    Only the batch's `types` (and any activity) can move: a learner's enrollment, long ago,
    would otherwise pull every period since into each batch of their later activity.
    """
    windows: list[store.Window] = []
    for kind in KINDS:
        low = period_index(first_day, kind)
        high = period_index(last_day, kind)
        wanted_low, wanted_high = low, high
        for (span_kind, dimension, value), (first, last) in spans.items():
            moves = dimension == "all" or (dimension == "type" and value in types)
            if span_kind == kind and dimension in RETENTION_DIMENSIONS and moves:
                if last < high:
                    wanted_low = min(wanted_low, last)
                if first > low:
                    wanted_high = max(wanted_high, first)
        reach = REACH[kind]
        windows.append(
            (
                key,
                kind,
                index_start(wanted_low - reach, kind),
                index_start(wanted_high + reach, kind),
                index_start(low - NEAR, kind),
                index_start(high + NEAR, kind),
            )
        )
    return windows


def _spans(rows: Sequence[store.SpanTuple]) -> dict[str, dict[SpanKey, tuple[int, int]]]:
    spans: dict[str, dict[SpanKey, tuple[int, int]]] = defaultdict(dict)
    for key, kind, dimension, value, first, last in rows:
        k: Kind = _kind(kind)
        spans[key][(k, dimension, value)] = (period_index(first, k), period_index(last, k))
    return spans


_KINDS: dict[str, Kind] = {kind: kind for kind in KINDS}


def _kind(name: str) -> Kind:
    return _KINDS[name]


def _states(
    rows: Sequence[store.PeriodRowTuple], spans: Mapping[str, Mapping[SpanKey, tuple[int, int]]]
) -> dict[str, LearnerState]:
    states: dict[str, LearnerState] = {}
    periods: dict[tuple[str, date], tuple[Kind, int]] = {}  # many rows share a period
    make_row = PeriodRow._make  # tuple.__new__ itself: half the time of the class call
    for key, kind, start, dimension, value, events, activity_ms, session_ms, sessions in rows:
        state = states.get(key)
        if state is None:
            state = states[key] = LearnerState(spans=dict(spans.get(key, {})))
        period = periods.get((kind, start))
        if period is None:
            k = _kind(kind)
            period = periods[(kind, start)] = (k, period_index(start, k))
        row_key: RowKey = (*period, dimension, value)
        state.rows[row_key] = make_row((events, activity_ms, session_ms, tuple(sessions)))
    return states


def _row_tuple(key: str, row_key: RowKey, row: PeriodRow) -> store.PeriodRowTuple:
    kind, index, dimension, value = row_key
    return (
        key,
        kind,
        index_start(index, kind),
        dimension,
        value,
        row.events,
        row.activity_ms,
        row.session_ms,
        list(row.sessions),
    )


def _save_deltas(connection: Connection, tenant_id: str, deltas: Deltas) -> None:
    store.add_counts(
        connection,
        tenant_id,
        {
            (kind, dimension, value, index_start(index, kind)): values
            for (kind, dimension, value, index), values in deltas.nonzero_counts().items()
        },
    )
    store.add_rolling(
        connection,
        tenant_id,
        {
            (dimension, value, window, date.fromordinal(day)): change
            for (dimension, value, window, day), change in deltas.nonzero_coverage().items()
        },
    )
    store.add_retention(
        connection,
        tenant_id,
        {
            (kind, s, r, entry, measure, index_start(cohort, kind), offset): change
            for (
                kind,
                s,
                r,
                entry,
                measure,
                cohort,
                offset,
            ), change in deltas.nonzero_retention().items()
        },
    )
