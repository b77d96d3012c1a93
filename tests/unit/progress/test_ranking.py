"""Competition ranking: equal points share a rank; the next rank skips."""

from __future__ import annotations

import pytest

from stride.progress.ranking import rank_by_points


@pytest.mark.parametrize(
    ("points", "ranks"),
    [
        ([], []),
        ([("a", 5)], [1]),
        ([("a", 10), ("b", 8), ("c", 8), ("d", 5)], [1, 2, 2, 4]),
        ([("a", 3), ("b", 3), ("c", 3)], [1, 1, 1]),
        ([("a", 0), ("b", 9), ("c", 9), ("d", 9), ("e", 1)], [1, 1, 1, 4, 5]),
    ],
)
def test_competition_ranks(points: list[tuple[str, int]], ranks: list[int]) -> None:
    assert [r.rank for r in rank_by_points(points)] == ranks


def test_order_does_not_depend_on_input_order() -> None:
    pairs = [("a", 2), ("b", 5), ("c", 2), ("d", 7)]
    assert rank_by_points(pairs) == rank_by_points(reversed(pairs))
    assert [r.key for r in rank_by_points(pairs)] == ["d", "b", "a", "c"]
