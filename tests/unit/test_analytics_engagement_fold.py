"""The engagement fold: counters from incremental diffs equal counters computed directly
from each learner's final active periods, for any batching and order."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stride.analytics.engagement_fold import (
    CONTINUING,
    COVERAGE_WINDOWS,
    LEARNERS,
    NEW_LEARNERS,
    Deltas,
    LearnerState,
    diff,
    fold_events,
)
from stride.analytics.periods import KINDS, index_start, period_index, periods_between
from stride.analytics.retention_fold import HORIZON
from stride.events.recorded import RecordedEvent

START = date(2024, 1, 1)

event_specs = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 90),
        st.sampled_from(["activity.started", "activity.completed", "custom.x"]),
    ),
    min_size=1,
    max_size=30,
)


def _event(n: int, learner: int, offset: int, kind: str) -> RecordedEvent:
    when = datetime.combine(START + timedelta(days=offset), datetime.min.time(), UTC)
    return RecordedEvent(f"e{n}", f"l{learner}", kind, when + timedelta(hours=12))


def _incremental(events: list[RecordedEvent], cuts: list[int]) -> Deltas:
    states: dict[str, LearnerState] = {}
    total = Deltas()
    bounds = [0, *sorted(set(cuts)), len(events)]
    for low, high in itertools.pairwise(bounds):
        batch: dict[str, list[RecordedEvent]] = {}
        for event in events[low:high]:
            batch.setdefault(event.learner_key, []).append(event)
        for key, learner_events in batch.items():
            before = states.get(key, LearnerState())
            after = fold_events(before, learner_events, "UTC", None)
            diff(before, after, total)
            states[key] = after
    return total


def _direct(events: list[RecordedEvent]) -> tuple[Counter[object], Counter[object]]:
    """(counts, retention) computed from each learner's final active periods."""
    counts: Counter[object] = Counter()
    retention: Counter[object] = Counter()
    for key in {e.learner_key for e in events}:
        mine = [e for e in events if e.learner_key == key]
        for group in ["*", "activity.started", "activity.completed", "custom.x"]:
            days = {e.timestamp.date() for e in mine if group in ("*", e.type)}
            if not days:
                continue
            dimension, value = ("all", "") if group == "*" else ("type", group)
            for kind in KINDS:
                periods = {period_index(d, kind) for d in days}
                counts[(kind, dimension, value, min(periods), NEW_LEARNERS)] += 1
                for p in periods:
                    counts[(kind, dimension, value, p, LEARNERS)] += 1
                    if p - 1 in periods:
                        counts[(kind, dimension, value, p, CONTINUING)] += 1
                if group != "custom.x":  # not a retention event type
                    _direct_retention(kind, group, mine, periods, retention)
    return counts, retention


def _direct_retention(
    kind: str, start: str, mine: list[RecordedEvent], starts: set[int], out: Counter[object]
) -> None:
    horizon = HORIZON[kind]  # type: ignore[index]
    for back in ["*", "activity.started", "activity.completed"]:
        returns = {
            period_index(e.timestamp.date(), kind)  # type: ignore[arg-type]
            for e in mine
            if back in ("*", e.type)
        }
        if not returns:
            continue
        last = max(returns)
        # Recurring cohorts are kept for any activity to any activity only.
        recurring = starts if start == back == "*" else set()
        for entry, cohorts in (("first", {min(starts)}), ("recurring", recurring)):
            for y in cohorts:
                for k in range(1, horizon + 1):
                    if y + k in returns:
                        out[(kind, start, back, entry, "on", y, k)] += 1
                if last > y:
                    out[(kind, start, back, entry, "last", y, min(last - y, horizon))] += 1


@settings(max_examples=60, deadline=None)
@given(specs=event_specs, cuts=st.lists(st.integers(0, 30), max_size=5), seed=st.randoms())
def test_incremental_counters_equal_direct_counts(specs, cuts, seed) -> None:  # type: ignore[no-untyped-def]
    events = [_event(n, *spec) for n, spec in enumerate(specs)]
    seed.shuffle(events)
    total = _incremental(events, [c for c in cuts if c < len(events)])
    counts, retention = _direct(events)
    got: Counter[object] = Counter()
    for (kind, dimension, value, index), values in total.nonzero_counts().items():
        for column in (LEARNERS, NEW_LEARNERS, CONTINUING):
            if values[column]:
                got[(kind, dimension, value, index, column)] = values[column]
    assert got == counts
    assert Counter(total.nonzero_retention()) == retention
    # Rolling counts: learners active in the window ending on each day.
    for window in COVERAGE_WINDOWS:
        counted = {
            day: learners
            for (dimension, _, w, day), learners in total.nonzero_coverage().items()
            if dimension == "all" and w == window
        }
        for day in range(START.toordinal() - 1, START.toordinal() + 130):
            active = {
                e.learner_key
                for e in events
                if day - window < e.timestamp.date().toordinal() <= day
            }
            assert counted.get(day, 0) == len(active), (window, date.fromordinal(day))


def test_forgetting_a_learner_undoes_their_share() -> None:
    events = [_event(n, 0, offset, "a.x") for n, offset in enumerate([0, 1, 9, 40, 41])]
    state = fold_events(LearnerState(), events, "UTC", None)
    added = diff(LearnerState(), state)
    removed = diff(state, LearnerState())
    for key, values in added.nonzero_counts().items():
        assert removed.counts[key] == [-v for v in values]
    assert {k: -v for k, v in removed.nonzero_coverage().items()} == added.nonzero_coverage()
    assert {k: -v for k, v in removed.nonzero_retention().items()} == added.nonzero_retention()


def test_periods_round_trip() -> None:
    for kind in KINDS:
        for day in (date(2024, 2, 29), date(2023, 12, 31), date(2024, 1, 1)):
            start = index_start(period_index(day, kind), kind)
            assert start <= day and period_index(start, kind) == period_index(day, kind)
    assert index_start(period_index(date(2024, 5, 8), "week"), "week") == date(2024, 5, 6)
    assert periods_between(date(2024, 1, 31), date(2024, 3, 1), "month") == [
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]
