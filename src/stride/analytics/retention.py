"""Pure: retention cohort tables from the rollup counters (see docs/analytics.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stride.analytics.periods import Kind, period_end, shift

ReturnMode = Literal["on", "on_or_after"]


@dataclass(frozen=True, slots=True)
class RetentionCell:
    period: int  # periods after the cohort's
    learners: int | None  # None for a period that has not started yet
    share: float | None  # learners / cohort size
    complete: bool  # the period has ended (else its figure can still grow)


@dataclass(frozen=True, slots=True)
class CohortRow:
    cohort_start: date
    size: int
    cells: tuple[RetentionCell, ...]


@dataclass(frozen=True, slots=True)
class MeanCell:
    period: int
    share: float | None  # sum of returned / sum of sizes over cohorts with this period complete
    cohorts: int  # how many cohorts the mean covers


def returned(
    mode: ReturnMode, periods: int, on: Mapping[int, int], last: Mapping[int, int]
) -> list[int]:
    """Learners counted in periods 1..periods: returned in that period (`on`), or in it or a
    later one (`on_or_after`: the latest return lies at least that far)."""
    if mode == "on":
        return [on.get(k, 0) for k in range(1, periods + 1)]
    return [sum(n for j, n in last.items() if j >= k) for k in range(1, periods + 1)]


def cohort_row(
    kind: Kind, start: date, size: int, counted: Sequence[int], today: date
) -> CohortRow:
    cells = [RetentionCell(0, size, 1.0 if size else None, period_end(start, kind) < today)]
    for k, learners in enumerate(counted, start=1):
        period_start = shift(start, kind, k)
        started = period_start <= today
        cells.append(
            RetentionCell(
                k,
                learners if started else None,
                (learners / size if size else None) if started else None,
                period_end(period_start, kind) < today,
            )
        )
    return CohortRow(start, size, tuple(cells))


def weighted_mean(rows: Sequence[CohortRow], periods: int) -> list[MeanCell]:
    """Per period, the share over every cohort whose period is complete, weighted by size
    (sum of learners / sum of sizes)."""
    means = []
    for k in range(periods + 1):
        complete = [row for row in rows if row.cells[k].complete and row.size]
        total = sum(row.size for row in complete)
        kept = sum(row.cells[k].learners or 0 for row in complete)
        means.append(MeanCell(k, kept / total if total else None, len(complete)))
    return means
