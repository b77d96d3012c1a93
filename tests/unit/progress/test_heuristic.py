from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.progress.heuristic import HEURISTIC_WINDOW, heuristic_mastery


def test_no_scores_is_no_mastery() -> None:
    assert heuristic_mastery([]) == 0.0


def test_twenty_right_answers_are_full_mastery() -> None:
    assert heuristic_mastery([1.0] * 20) == pytest.approx(1.0)
    assert heuristic_mastery([1.0] * 50) == pytest.approx(1.0)


def test_volume_factor_grows_to_twenty_answers() -> None:
    assert heuristic_mastery([1.0] * 5) == pytest.approx(0.25)
    assert heuristic_mastery([1.0] * 10) == pytest.approx(0.5)


def test_two_scores_by_hand() -> None:
    # weights 0.5 ** (1/5) = 0.870551 (older) and 1 (latest): mean 0.870551 / 1.870551;
    # sd of [1, 0] is 0.5, so consistency 0.5; volume 2 / 20.
    expected = 0.870551 / 1.870551 * 0.5 * 0.1
    assert heuristic_mastery([1.0, 0.0]) == pytest.approx(expected, rel=1e-5)


def test_recent_scores_count_more() -> None:
    improving = [0.0] * 10 + [1.0] * 10
    declining = [1.0] * 10 + [0.0] * 10
    assert heuristic_mastery(improving) > 0.5 > heuristic_mastery(declining)


def test_erratic_scores_are_discounted_but_never_below_half() -> None:
    steady = [0.5] * 20
    erratic = [0.0, 1.0] * 10
    assert heuristic_mastery(steady) == pytest.approx(0.5)
    # sd 0.5 -> consistency at its floor of 0.5
    assert heuristic_mastery(erratic) < 0.3
    assert heuristic_mastery(erratic) > 0.2


@given(st.lists(st.floats(0.0, 1.0), max_size=60))
def test_in_unit_interval_and_only_the_window_matters(scores: list[float]) -> None:
    value = heuristic_mastery(scores)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(heuristic_mastery(scores[-HEURISTIC_WINDOW:]))
