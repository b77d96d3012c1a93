"""Pure: the retention cells of one program's cohorts, from its learners' grouped periods.

The tenant-wide report reads counters kept at ingest (retention_fold.py). No such counters
exist per program, so a program's cohorts are counted at request time from the learners'
active periods *in the program* (engagement_learner_periods/_spans, dimension "program"),
grouped in SQL into (cohort, period, learners) tuples. This module turns those tuples into
the same cells the counters hold, with the same rules:

- `sizes[y]`: learners who entered cohort y (their first period in the program for
  entry=first; every period they were active in it for entry=recurring);
- `on[y][k]`: of those, learners active in the program in period y + k (1 <= k <= horizon);
- `last[y][j]`: of those, learners whose latest period in the program lies j periods after
  y (capped at the horizon, j >= 1); `return=on_or_after` sums it over j >= k.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from stride.analytics.periods import Kind, period_index

# (cohort start, a period start, learners): grouped counts as the SQL returns them.
GroupedRow = tuple[date, date, int]


@dataclass(frozen=True)
class CohortCells:
    sizes: dict[date, int] = field(default_factory=dict)
    on: dict[date, dict[int, int]] = field(default_factory=dict)
    last: dict[date, dict[int, int]] = field(default_factory=dict)


def cohort_cells(
    kind: Kind, horizon: int, latest: Iterable[GroupedRow], returns: Iterable[GroupedRow]
) -> CohortCells:
    """Cells from `latest` (cohort, the learner's latest period, learners) and `returns`
    (cohort, a later period the learner was active in, learners).

    Every learner of a cohort appears once in `latest`, so its sum per cohort is the size;
    `returns` may hold periods beyond the horizon (the SQL bounds them by date only).
    """
    sizes: dict[date, int] = defaultdict(int)
    last: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    on: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for cohort, latest_start, learners in latest:
        sizes[cohort] += learners
        offset = period_index(latest_start, kind) - period_index(cohort, kind)
        if offset >= 1:  # a learner never active after the cohort did not return
            last[cohort][min(offset, horizon)] += learners
    for cohort, start, learners in returns:
        offset = period_index(start, kind) - period_index(cohort, kind)
        if 1 <= offset <= horizon:
            on[cohort][offset] += learners
    return CohortCells(
        dict(sizes),
        {cohort: dict(cells) for cohort, cells in on.items()},
        {cohort: dict(cells) for cohort, cells in last.items()},
    )
