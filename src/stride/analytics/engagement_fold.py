"""Pure fold of a learner's events into engagement rollups, as a difference of two states.

A learner contributes to the tenant's rollups through the periods they were active in, per
group (everything, an event type, a program, a course, a platform). `fold_events` adds a batch
of events to the part of that state the batch touches; `diff` turns any two states into the
changes of the tenant-wide counters, so projecting (state before -> after) and forgetting a
learner (state -> nothing) use the same arithmetic, and the counters are a function of the
final per-learner state only: arrival order cannot matter.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from stride.analytics.periods import KINDS, Kind, period_index
from stride.analytics.retention_fold import RETENTION_EVENT_TYPES, retention_diff
from stride.catalog.model import Catalog
from stride.events.recorded import RecordedEvent
from stride.events.types import SESSION_EVENT_TYPES
from stride.progress.activity import duration_ms
from stride.progress.daily import local_day

Group = tuple[str, str]  # (dimension, value); value "" for dimension "all"
RowKey = tuple[Kind, int, str, str]  # (kind, period number, dimension, value)
SpanKey = tuple[Kind, str, str]  # (kind, dimension, value)
CountKey = tuple[Kind, str, str, int]  # (kind, dimension, value, period number)
CoverageKey = tuple[str, str, int, int]  # (dimension, value, window in days, day number)

ALL: Group = ("all", "")
DIMENSIONS = ("all", "type", "program", "course", "platform")
COVERAGE_WINDOWS = (7, 30)  # WAU and MAU: learners active in the W days ending on a day
COVERAGE_DIMENSIONS = frozenset({"all", "program", "course", "platform"})
# How many periods a change can reach: the MAU window in days, the retention horizon else.
REACH: Mapping[Kind, int] = {"day": 30, "week": 12, "month": 12}
# A group's rows reach that far only where retention (everything, and the retention event
# types) or the rolling counts (on days) read them; other groups' rows reach the next period
# and the one before (continuing learners), which spares a batch most of the rows it reads.
FarGroup = tuple[Kind, str, tuple[str, ...] | None]  # (kind, dimension, values; None: any)
FAR_GROUPS: tuple[FarGroup, ...] = (
    *((kind, "all", None) for kind in KINDS),
    *((kind, "type", tuple(sorted(RETENTION_EVENT_TYPES))) for kind in KINDS),
    *(("day", dimension, None) for dimension in sorted(COVERAGE_DIMENSIONS - {"all"})),
)
NEAR = 1

# Positions in a count row (see engagement_counts in store/tables.py).
LEARNERS, NEW_LEARNERS, CONTINUING, EVENTS, ACTIVE_MS, SESSIONS = range(6)
COUNT_COLUMNS = ("learners", "new_learners", "continuing", "events", "active_ms", "sessions")


class PeriodRow(NamedTuple):
    """One learner's activity in one period and group (the day rollup, generalized).

    A named tuple rather than a frozen dataclass: a fold builds one for every row of every
    learner's window, and compares them, many thousands a page."""

    events: int
    activity_ms: int
    session_ms: int
    sessions: tuple[str, ...]

    @property
    def active_ms(self) -> int:
        # As for learner_days: time per activity or per session, whichever is larger.
        return max(self.activity_ms, self.session_ms)


@dataclass
class LearnerState:
    """The rows of one learner within a window of periods, and their first/last periods."""

    rows: dict[RowKey, PeriodRow] = field(default_factory=dict)
    spans: dict[SpanKey, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Deltas:
    """Changes to the tenant's counters (added as events are folded, subtracted on forgetting)."""

    counts: defaultdict[CountKey, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(COUNT_COLUMNS))
    )
    coverage: defaultdict[CoverageKey, int] = field(default_factory=lambda: defaultdict(int))
    retention: defaultdict[tuple[Kind, str, str, str, str, int, int], int] = field(
        default_factory=lambda: defaultdict(int)
    )

    def nonzero_counts(self) -> dict[CountKey, list[int]]:
        return {k: v for k, v in self.counts.items() if any(v)}

    def nonzero_coverage(self) -> dict[CoverageKey, int]:
        return {k: v for k, v in self.coverage.items() if v}

    def nonzero_retention(self) -> dict[tuple[Kind, str, str, str, str, int, int], int]:
        return {k: v for k, v in self.retention.items() if v}


def groups_of(event: RecordedEvent, catalog: Catalog | None) -> list[Group]:
    """The groups an event counts in: everything, its type, its programs and courses (by the
    catalog: the activity and its ancestors) and its platform."""
    groups = [ALL, ("type", event.type)]
    if catalog is not None and event.activity_id is not None:
        activity = catalog.activities.get(event.activity_id)
        if activity is not None:
            for node_id in (activity.id, *catalog.ancestors(activity.id)):
                node_type = catalog.activities[node_id].type
                if node_type in ("program", "course"):
                    groups.append((node_type, node_id))
    if event.platform:
        groups.append(("platform", event.platform))
    return groups


def fold_events(
    before: LearnerState,
    events: Iterable[RecordedEvent],
    timezone: str,
    catalog: Catalog | None,
) -> LearnerState:
    """The learner's state after `events` (new to the read models) are added to `before`."""
    # Summed per local day and group first (a learner's events of a page fall on few days),
    # then each day's sums are added to its day, week and month.
    daily: dict[tuple[int, str, str], list[int]] = {}
    daily_sessions: dict[tuple[int, str, str], set[str]] = defaultdict(set)
    for event in events:
        day = local_day(event.timestamp, timezone).toordinal()
        ms = duration_ms(event)
        session_ms = ms if event.type in SESSION_EVENT_TYPES else 0
        for dimension, value in groups_of(event, catalog):
            day_key = (day, dimension, value)
            row = daily.get(day_key)
            if row is None:
                row = daily[day_key] = [0, 0, 0]
            row[0] += 1
            row[1] += ms - session_ms
            row[2] += session_ms
            if event.session is not None:
                daily_sessions[day_key].add(event.session)
    sums: dict[RowKey, list[int]] = {}
    sessions: dict[RowKey, set[str]] = defaultdict(set)
    for day_key, (count, activity_ms, session_ms) in daily.items():
        day, dimension, value = day_key
        calendar_day = date.fromordinal(day)
        for kind in KINDS:
            key = (kind, period_index(calendar_day, kind), dimension, value)
            row = sums.get(key)
            if row is None:
                row = sums[key] = [0, 0, 0]
            row[0] += count
            row[1] += activity_ms
            row[2] += session_ms
            if day_key in daily_sessions:
                sessions[key] |= daily_sessions[day_key]
    rows = dict(before.rows)
    spans = dict(before.spans)
    for key, (count, activity_ms, session_ms) in sums.items():
        old = rows.get(key)
        if old is None:
            old = PeriodRow(0, 0, 0, ())
            kind, index, dimension, value = key
            span = spans.get((kind, dimension, value))
            spans[(kind, dimension, value)] = (
                (index, index) if span is None else (min(span[0], index), max(span[1], index))
            )
        rows[key] = PeriodRow(
            old.events + count,
            old.activity_ms + activity_ms,
            old.session_ms + session_ms,
            tuple(sorted(set(old.sessions) | sessions[key])) if key in sessions else old.sessions,
        )
    return LearnerState(rows, spans)


def diff(before: LearnerState, after: LearnerState, deltas: Deltas | None = None) -> Deltas:
    """The counter changes that turn a learner's `before` state into `after` (added to
    `deltas` when given).

    Both states must hold every row within reach of the rows that differ: REACH periods for
    FAR_GROUPS, NEAR for the other groups.
    """
    deltas = deltas if deltas is not None else Deltas()
    presence: dict[SpanKey, set[int]] = defaultdict(set)  # periods that appeared or vanished
    for key, old, new in _changed_rows(before.rows, after.rows):
        kind, index, dimension, value = key
        count = deltas.counts[(kind, dimension, value, index)]
        count[EVENTS] += (new.events if new else 0) - (old.events if old else 0)
        count[SESSIONS] += (len(new.sessions) if new else 0) - (len(old.sessions) if old else 0)
        if (old is None) != (new is None):
            count[LEARNERS] += 1 if new is not None else -1
            presence[(kind, dimension, value)].add(index)
        if kind == "day":
            active = (new.active_ms if new else 0) - (old.active_ms if old else 0)
            day = date.fromordinal(index)
            for period_kind in KINDS:
                counted = (period_kind, dimension, value, period_index(day, period_kind))
                deltas.counts[counted][ACTIVE_MS] += active
    _first_periods(before, after, deltas)
    periods_before = _periods(before)
    periods_after = _periods(after)
    for span_key, changed in presence.items():
        kind, dimension, value = span_key
        old_set = periods_before.get(span_key, set())
        new_set = periods_after.get(span_key, set())
        _continuing(span_key, changed, old_set, new_set, deltas)
        if kind == "day" and dimension in COVERAGE_DIMENSIONS:
            _coverage(dimension, value, changed, sorted(old_set), sorted(new_set), deltas)
    retention_diff(before.spans, after.spans, periods_before, periods_after, deltas.retention)
    return deltas


def _changed_rows(
    before: Mapping[RowKey, PeriodRow], after: Mapping[RowKey, PeriodRow]
) -> list[tuple[RowKey, PeriodRow | None, PeriodRow | None]]:
    """(key, old row, new row) of the rows that differ. A fold keeps the unchanged rows of its
    window as the same objects, so most are told apart by identity, without comparing."""
    changed: list[tuple[RowKey, PeriodRow | None, PeriodRow | None]] = []
    for key, new in after.items():
        old = before.get(key)
        if old is not new and old != new:
            changed.append((key, old, new))
    changed.extend((key, old, None) for key, old in before.items() if key not in after)
    return changed


def _periods(state: LearnerState) -> dict[SpanKey, set[int]]:
    periods: dict[SpanKey, set[int]] = defaultdict(set)
    for kind, index, dimension, value in state.rows:
        periods[(kind, dimension, value)].add(index)
    return periods


def _first_periods(before: LearnerState, after: LearnerState, deltas: Deltas) -> None:
    """A learner is new in the period of their first activity (per kind and group)."""
    for key in before.spans.keys() | after.spans.keys():
        old, new = before.spans.get(key), after.spans.get(key)
        old_first = old[0] if old else None
        new_first = new[0] if new else None
        if old_first == new_first:
            continue
        kind, dimension, value = key
        if old_first is not None:
            deltas.counts[(kind, dimension, value, old_first)][NEW_LEARNERS] -= 1
        if new_first is not None:
            deltas.counts[(kind, dimension, value, new_first)][NEW_LEARNERS] += 1


def _continuing(
    key: SpanKey, changed: set[int], old: set[int], new: set[int], deltas: Deltas
) -> None:
    """Learners active in a period and in the one before it (lifecycle's `returning`)."""
    kind, dimension, value = key
    for index in changed | {i + 1 for i in changed}:
        was = index in old and index - 1 in old
        now = index in new and index - 1 in new
        if was != now:
            deltas.counts[(kind, dimension, value, index)][CONTINUING] += 1 if now else -1


def _covered(days: list[int], day: int, window: int) -> int:
    """1 when a day of `days` (sorted) lies in the `window` days ending on `day`."""
    return 1 if bisect_right(days, day) > bisect_left(days, day - window + 1) else 0


def _coverage(
    dimension: str, value: str, changed: set[int], old: list[int], new: list[int], deltas: Deltas
) -> None:
    """Changes of the rolling active counts (WAU, MAU) on each day.

    A learner active on day a counts on days a .. a+W-1. The counts can differ only on days
    c .. c+W-1 after a changed day c, so only those days are compared.
    """
    for window in COVERAGE_WINDOWS:
        days: set[int] = set()
        for day in changed:
            days.update(range(day, day + window))
        for day in days:
            change = _covered(new, day, window) - _covered(old, day, window)
            if change:
                deltas.coverage[(dimension, value, window, day)] += change
