"""Pure: how a learner's change of active periods moves the tenant's retention counters.

For a start type s and a return type r ("*" is any activity), per period kind:

- first-time entry: the learner enters the cohort of the period F of their first s event;
  recurring entry: they enter cohort y for every period y with an s event. Recurring cohorts
  are kept for any activity (s = r = "*") only: for other pairs they would cost a counter
  update per earlier active period on every new one, for every pair of types.
- `on` cell (y, k): entered cohort y and had an r event in period y + k (1 <= k <= HORIZON).
- `last` cell (y, j): entered cohort y, and their latest r period lies j periods after y
  (capped at HORIZON, j >= 1). "Returned on or after period k" is the sum of `last` over j >= k.

Counters are additive over learners, so the change for one learner is (cells after) minus
(cells before), evaluated only where something differs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from typing import NamedTuple

from stride.analytics.periods import KINDS, Kind

HORIZON: Mapping[Kind, int] = {"day": 30, "week": 12, "month": 12}
ANY = "*"
RETENTION_DIMENSIONS = ("all", "type")
# Event types that can start or end a retention cohort (besides any activity): milestones of
# learning. Each one more makes ingest keep counters for every pair, so the list stays short.
RETENTION_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "enrollment.created",
        "session.started",
        "activity.started",
        "activity.completed",
        "assessment.submitted",
    }
)

SpanKey = tuple[Kind, str, str]
RetentionKey = tuple[Kind, str, str, str, str, int, int]


class _Track(NamedTuple):
    """One event type's active periods (before and after) and its first/last period."""

    before: frozenset[int]
    after: frozenset[int]
    union: list[int]  # sorted
    changed: frozenset[int]
    first: tuple[int | None, int | None]
    last: tuple[int | None, int | None]


def _label(dimension: str, value: str) -> str:
    return ANY if dimension == "all" else value


def retention_diff(
    spans_before: Mapping[SpanKey, tuple[int, int]],
    spans_after: Mapping[SpanKey, tuple[int, int]],
    periods_before: Mapping[SpanKey, set[int]],
    periods_after: Mapping[SpanKey, set[int]],
    out: dict[RetentionKey, int],
) -> None:
    """Add to `out` the retention counter changes of one learner's before -> after."""
    for kind in KINDS:
        tracks = _tracks(kind, spans_before, spans_after, periods_before, periods_after)
        starts = {t for t, track in tracks.items() if track.changed or _moved(track.first)}
        returns = {t for t, track in tracks.items() if track.changed or _moved(track.last)}
        for s in tracks:
            for r in tracks:
                if s in starts or r in returns:
                    _pair(kind, s, r, tracks[s], tracks[r], out)


def _moved(pair: tuple[int | None, int | None]) -> bool:
    return pair[0] != pair[1]


def _tracks(
    kind: Kind,
    spans_before: Mapping[SpanKey, tuple[int, int]],
    spans_after: Mapping[SpanKey, tuple[int, int]],
    periods_before: Mapping[SpanKey, set[int]],
    periods_after: Mapping[SpanKey, set[int]],
) -> dict[str, _Track]:
    keys = {
        key
        for source in (spans_before, spans_after, periods_before, periods_after)
        for key in source
        if key[0] == kind
        and (key[1] == "all" or (key[1] == "type" and key[2] in RETENTION_EVENT_TYPES))
    }
    tracks = {}
    for key in keys:
        before = frozenset(periods_before.get(key, ()))
        after = frozenset(periods_after.get(key, ()))
        old, new = spans_before.get(key), spans_after.get(key)
        tracks[_label(key[1], key[2])] = _Track(
            before,
            after,
            sorted(before | after),
            before ^ after,
            (old[0] if old else None, new[0] if new else None),
            (old[1] if old else None, new[1] if new else None),
        )
    return tracks


def _between(ordered: list[int], low: int, high: int) -> list[int]:
    return ordered[bisect_left(ordered, low) : bisect_right(ordered, high)]


def _last_offset(entered: bool, last: int | None, cohort: int | None, horizon: int) -> int | None:
    if not entered or last is None or cohort is None or last <= cohort:
        return None
    return min(last - cohort, horizon)


def _pair(
    kind: Kind, s: str, r: str, start: _Track, back: _Track, out: dict[RetentionKey, int]
) -> None:
    _first_entry(kind, s, r, start, back, out)
    if s == ANY and r == ANY:
        _recurring_entry(kind, s, r, start, back, out)


def _recurring_entry(
    kind: Kind, s: str, r: str, start: _Track, back: _Track, out: dict[RetentionKey, int]
) -> None:
    horizon = HORIZON[kind]
    # Recurring, `on`: pairs (y, x) where y or x changed.
    pairs = {(y, x) for y in start.changed for x in _between(back.union, y + 1, y + horizon)}
    pairs |= {(y, x) for x in back.changed for y in _between(start.union, x - horizon, x - 1)}
    for y, x in pairs:
        change = int(y in start.after and x in back.after) - int(
            y in start.before and x in back.before
        )
        if change:
            key = (kind, s, r, "recurring", "on", y, x - y)
            out[key] = out.get(key, 0) + change
    # Recurring, `last`: entries whose presence or latest return offset changed.
    cohorts = set(start.changed)
    last_before, last_after = back.last
    if last_before != last_after:
        if last_before is None or last_after is None:
            cohorts.update(start.union)
        else:
            cohorts.update(_between(start.union, min(last_before, last_after) - horizon, 10**9))
    for y in cohorts:
        old = _last_offset(y in start.before, last_before, y, horizon)
        new = _last_offset(y in start.after, last_after, y, horizon)
        if old != new:
            _move(out, (kind, s, r, "recurring", "last"), (y, old), (y, new))


def _first_entry(
    kind: Kind, s: str, r: str, start: _Track, back: _Track, out: dict[RetentionKey, int]
) -> None:
    horizon = HORIZON[kind]
    first_before, first_after = start.first
    last_before, last_after = back.last
    firsts = [f for f in start.first if f is not None]
    touched = first_before != first_after or (
        bool(firsts) and any(min(firsts) < x <= max(firsts) + horizon for x in back.changed)
    )
    if touched:
        for first, periods, sign in ((first_before, back.before, -1), (first_after, back.after, 1)):
            if first is None:
                continue
            for x in periods:
                if first < x <= first + horizon:
                    key = (kind, s, r, "first", "on", first, x - first)
                    out[key] = out.get(key, 0) + sign
    old = _last_offset(True, last_before, first_before, horizon)
    new = _last_offset(True, last_after, first_after, horizon)
    if (first_before, old) != (first_after, new):
        _move(out, (kind, s, r, "first", "last"), (first_before, old), (first_after, new))


def _move(
    out: dict[RetentionKey, int],
    prefix: tuple[Kind, str, str, str, str],
    old: tuple[int | None, int | None],
    new: tuple[int | None, int | None],
) -> None:
    for (cohort, offset), sign in ((old, -1), (new, 1)):
        if cohort is not None and offset is not None:
            key = (*prefix, cohort, offset)
            out[key] = out.get(key, 0) + sign
