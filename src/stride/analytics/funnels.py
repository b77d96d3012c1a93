"""Funnel math (pure): how far each learner got through ordered steps, and the step figures.

Each learner is given, per step, the times (epoch milliseconds) they did that step's event.
An attempt starts at an occurrence of step 1 (inside the entry range when one is given); later
steps must come within `window_ms` of that start:

- sequential: step k+1 is the earliest occurrence at or after step k's (a repeated step key
  needs a strictly later occurrence); other events in between are allowed.
- strict: on the learner's timeline of this funnel's step events only, the steps must follow
  one another with no other step event in between (events of other types do not count).

A learner's path is the attempt that reaches the most steps (the earliest such start on a tie).
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class FunnelOrder(StrEnum):
    SEQUENTIAL = "sequential"
    STRICT = "strict"


@dataclass(frozen=True)
class LearnerPath:
    """Steps reached (0: never entered) and the time of each reached step."""

    reached: int
    times: tuple[int, ...]


@dataclass(frozen=True)
class StepFigures:
    learners: int
    conversion_from_start: float | None
    conversion_from_previous: float | None
    median_ms_from_previous: float | None
    median_ms_from_start: float | None


NOT_ENTERED = LearnerPath(0, ())


def learner_path(
    keys: Sequence[str],
    occurrences: Sequence[Sequence[int]],
    window_ms: int,
    order: FunnelOrder,
    entry: tuple[int | None, int | None] = (None, None),
    presorted: bool = False,
) -> LearnerPath:
    """The deepest attempt of one learner; `occurrences[k]` are step k's times (any order,
    unless `presorted` says each is ascending without repeats already)."""
    steps = occurrences if presorted else [sorted(set(t)) for t in occurrences]
    low, high = entry
    starts = steps[0]
    if low is not None or high is not None:
        starts = [t for t in starts if (low is None or t >= low) and (high is None or t < high)]
    best = NOT_ENTERED
    timeline = _timeline(keys, steps) if order is FunnelOrder.STRICT else []
    for start in starts:
        if order is FunnelOrder.SEQUENTIAL:
            path = _sequential(keys, steps, start, window_ms)
        else:
            path = _strict(keys, timeline, start, window_ms)
        if path.reached > best.reached:
            best = path
            if best.reached == len(keys):
                break
    return best


def _sequential(
    keys: Sequence[str], steps: Sequence[Sequence[int]], start: int, window_ms: int
) -> LearnerPath:
    times = [start]
    for k in range(1, len(keys)):
        previous = times[-1]
        if keys[k] == keys[k - 1]:
            i = bisect.bisect_right(steps[k], previous)
        else:
            i = bisect.bisect_left(steps[k], previous)
        if i == len(steps[k]) or steps[k][i] - start > window_ms:
            break
        times.append(steps[k][i])
    return LearnerPath(len(times), tuple(times))


def _timeline(keys: Sequence[str], steps: Sequence[Sequence[int]]) -> list[tuple[int, int, str]]:
    """Every occurrence of the funnel's step keys once, ordered by time, then by the first
    step that uses the key (so same-instant events count in funnel order)."""
    rank: dict[str, int] = {}
    for index, key in enumerate(keys):
        rank.setdefault(key, index)
    seen: set[str] = set()
    events: list[tuple[int, int, str]] = []
    for key, times in zip(keys, steps, strict=True):
        if key not in seen:
            seen.add(key)
            events.extend((t, rank[key], key) for t in times)
    return sorted(events)


def _strict(
    keys: Sequence[str], timeline: list[tuple[int, int, str]], start: int, window_ms: int
) -> LearnerPath:
    position = bisect.bisect_left(timeline, (start, -1, ""))
    while timeline[position][2] != keys[0]:  # the start's own entry among same-time events
        position += 1
    times = [start]
    for k in range(1, len(keys)):
        position += 1
        if position == len(timeline):
            break
        when, _, key = timeline[position]
        if key != keys[k] or when - start > window_ms:
            break
        times.append(when)
    return LearnerPath(len(times), tuple(times))


def summarize(paths: Iterable[LearnerPath], steps: int) -> list[StepFigures]:
    """Per step: learners who reached it, conversion from step 1 and from the step before,
    and median times (ms) to reach it from the step before and from step 1."""
    reached = [0] * steps
    from_previous: list[list[int]] = [[] for _ in range(steps)]
    from_start: list[list[int]] = [[] for _ in range(steps)]
    for path in paths:
        for k in range(path.reached):
            reached[k] += 1
            if k:
                from_previous[k].append(path.times[k] - path.times[k - 1])
                from_start[k].append(path.times[k] - path.times[0])
    figures = []
    for k in range(steps):
        figures.append(
            StepFigures(
                learners=reached[k],
                conversion_from_start=_share(reached[k], reached[0]),
                conversion_from_previous=_share(reached[k], reached[k - 1] if k else reached[0]),
                median_ms_from_previous=_median(from_previous[k]),
                median_ms_from_start=_median(from_start[k]),
            )
        )
    return figures


def drop_offs(paths: Mapping[str, LearnerPath], step: int) -> list[str]:
    """Learners who reached step `step` (1-based) and went no further, sorted."""
    return sorted(learner for learner, path in paths.items() if path.reached == step)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None
