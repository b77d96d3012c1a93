from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.privacy.small_groups import suppress_small_groups


def test_small_groups_are_withheld_and_said_so() -> None:
    groups = [("a", 12), ("b", 4), ("c", 5), ("d", 0)]
    result = suppress_small_groups(groups, lambda g: g[1], 5)
    assert result.shown == [("a", 12), ("c", 5)]
    assert result.withheld_groups == 2
    assert result.note is not None and "fewer than 5 learners" in result.note


def test_nothing_withheld_says_nothing() -> None:
    result = suppress_small_groups([10, 20], lambda n: n, 5)
    assert result.shown == [10, 20] and result.withheld_groups == 0 and result.note is None


def test_minimum_must_be_positive() -> None:
    with pytest.raises(ValueError):
        suppress_small_groups([1], lambda n: n, 0)


@given(st.lists(st.integers(0, 50)), st.integers(1, 20))
def test_no_shown_group_is_below_the_minimum(sizes: list[int], k: int) -> None:
    result = suppress_small_groups(sizes, lambda n: n, k)
    assert all(n >= k for n in result.shown)
    assert len(result.shown) + result.withheld_groups == len(sizes)
