"""Pure: a program's retention cells from grouped (cohort, period, learners) rows."""

from __future__ import annotations

from datetime import date

import pytest

from stride.analytics.periods import Kind
from stride.analytics.retention_program import CohortCells, GroupedRow, cohort_cells

W0, W1, W2, W3 = date(2024, 5, 6), date(2024, 5, 13), date(2024, 5, 20), date(2024, 5, 27)
M0, M5 = date(2024, 1, 1), date(2024, 6, 1)


@pytest.mark.parametrize(
    ("kind", "horizon", "latest", "returns", "expected"),
    [
        # Two learners never back (latest = cohort), three back up to weeks 1 and 3.
        (
            "week",
            12,
            [(W0, W0, 2), (W0, W1, 1), (W0, W3, 2)],
            [(W0, W1, 3), (W0, W3, 2)],
            CohortCells({W0: 5}, {W0: {1: 3, 3: 2}}, {W0: {1: 1, 3: 2}}),
        ),
        # Latest returns beyond the horizon are capped at it; returns beyond it are dropped.
        (
            "month",
            3,
            [(M0, M5, 4)],
            [(M0, date(2024, 3, 1), 1), (M0, M5, 4)],
            CohortCells({M0: 4}, {M0: {2: 1}}, {M0: {3: 4}}),
        ),
        # Two cohorts, kept apart.
        (
            "week",
            12,
            [(W0, W2, 1), (W1, W2, 2)],
            [(W0, W2, 1), (W1, W2, 2)],
            CohortCells({W0: 1, W1: 2}, {W0: {2: 1}, W1: {1: 2}}, {W0: {2: 1}, W1: {1: 2}}),
        ),
        ("day", 30, [], [], CohortCells()),
    ],
)
def test_cohort_cells(
    kind: Kind,
    horizon: int,
    latest: list[GroupedRow],
    returns: list[GroupedRow],
    expected: CohortCells,
) -> None:
    assert cohort_cells(kind, horizon, latest, returns) == expected
