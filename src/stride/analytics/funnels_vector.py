"""Sequential funnel paths and step figures of many learners at once (pure, numpy).

The same definition as analytics/funnels.py (`learner_path` with `FunnelOrder.SEQUENTIAL`,
`summarize`, `drop_offs`), computed over arrays: one row per learner, one column per stored
time (a step key keeps at most a few, see docs/analytics-usage.md). Tests hold the two equal.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stride.analytics.funnels import StepFigures

_NONE = np.iinfo(np.int64).max
# Learners' lists of times as (values row after row, length of each row), as
# stride.store.funnel_times reads them: no Python object per learner or per time.
Ragged = tuple[NDArray[np.int64], NDArray[np.int64]]


@dataclass(frozen=True)
class Paths:
    """Per learner (rows), the steps reached (0: never entered) and each reached step's time
    (columns; 0 past `reached`)."""

    reached: NDArray[np.int64]
    times: NDArray[np.int64]


def _padded(times: Ragged) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The rows as a matrix (ascending, as stored) and which cells hold a time."""
    flat, lengths = times
    learners, total = len(lengths), len(flat)
    width = max(int(lengths.max(initial=0)), 1)
    values = np.zeros((learners, width), dtype=np.int64)
    held = np.zeros((learners, width), dtype=np.bool_)
    rows = np.repeat(np.arange(learners), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    columns = np.arange(total) - starts
    values[rows, columns] = flat
    held[rows, columns] = True
    return values, held


def sequential_paths(
    keys: Sequence[str],
    occurrences: Sequence[Ragged],
    window_ms: int,
    entry: tuple[int | None, int | None] = (None, None),
) -> Paths:
    """`occurrences[k]`, row n: learner n's times of step k, ascending without repeats. Each
    learner's deepest attempt (the earliest start on a tie), as `learner_path` finds it."""
    learners = len(occurrences[0][1]) if occurrences else 0
    starts, valid = _padded(occurrences[0])
    low, high = entry
    if low is not None:
        valid &= starts >= low
    if high is not None:
        valid &= starts < high
    # One attempt per (learner, start): the time reached so far and whether it goes on.
    previous = starts.copy()
    going = valid.copy()
    reached = valid.astype(np.int64)
    times = [np.where(valid, starts, 0)]
    for k in range(1, len(keys)):
        step, held = _padded(occurrences[k])
        later = step[:, None, :] > previous[:, :, None]
        if keys[k] != keys[k - 1]:
            later |= step[:, None, :] == previous[:, :, None]
        later &= held[:, None, :]
        found = later.any(axis=2)
        first = np.where(later, step[:, None, :], _NONE).min(axis=2, initial=_NONE)
        ok = going & found & (np.where(found, first, starts) - starts <= window_ms)
        times.append(np.where(ok, first, 0))
        reached += ok
        previous = np.where(ok, first, previous)
        going = ok
    best = reached.argmax(axis=1) if learners else np.zeros(0, dtype=np.int64)
    rows = np.arange(learners)
    chosen = np.stack([t[rows, best] for t in times], axis=1) if learners else None
    return Paths(
        reached[rows, best] if learners else np.zeros(0, dtype=np.int64),
        chosen if chosen is not None else np.zeros((0, len(keys)), dtype=np.int64),
    )


def summarize_paths(paths: Paths, steps: int) -> list[StepFigures]:
    """`summarize` over arrays: learners per step, conversions and median times (ms)."""
    figures = []
    counts = [int((paths.reached > k).sum()) for k in range(steps)]
    for k in range(steps):
        at = paths.reached > k
        gaps = (paths.times[at, k] - paths.times[at, k - 1]).tolist() if k else []
        spans = (paths.times[at, k] - paths.times[at, 0]).tolist() if k else []
        figures.append(
            StepFigures(
                learners=counts[k],
                conversion_from_start=_share(counts[k], counts[0]),
                conversion_from_previous=_share(counts[k], counts[k - 1] if k else counts[0]),
                median_ms_from_previous=_median(gaps),
                median_ms_from_start=_median(spans),
            )
        )
    return figures


def stopped_at(learners: Sequence[str], paths: Paths, step: int) -> list[str]:
    """`drop_offs`: the learners who reached `step` (1-based) and went no further, sorted."""
    return sorted(learners[i] for i in np.flatnonzero(paths.reached == step).tolist())


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None
