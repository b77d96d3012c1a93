"""Item analysis: difficulty, first-attempt rate, discrimination against the rest score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from stride.analytics.items import ItemRow, figures_from_sums, item_figures
from stride.analytics.items_fold import (
    ItemAttempts,
    apply_attempt,
    attempt_correct,
    item_shares,
    share_difference,
)
from stride.events.recorded import RecordedEvent

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def test_figures_of_a_small_test() -> None:
    # Three learners, two items; scores are first attempts.
    rows = [
        ItemRow("a", "i1", 2, 1, 0.2, False),
        ItemRow("a", "i2", 1, 1, 0.9, True),
        ItemRow("b", "i1", 1, 1, 0.8, True),
        ItemRow("b", "i2", 1, 1, 1.0, True),
        ItemRow("c", "i1", 1, 0, None, False),  # only success was sent: scores 0
        ItemRow("c", "i2", 3, 1, 0.1, False),
    ]
    i1, i2 = item_figures(rows)
    assert (i1.activity_id, i1.learners, i1.attempts) == ("i1", 3, 4)
    assert i1.difficulty == 0.5
    assert i1.first_attempt_correct_rate == pytest.approx(1 / 3)
    assert i1.mean_first_score == pytest.approx(1.0 / 3)
    # i1's rest score is each learner's i2 score: 0.9, 1.0, 0.1.
    expected = stats.pointbiserialr([0, 1, 0], [0.9, 1.0, 0.1]).statistic
    assert i1.discrimination == pytest.approx(expected)
    assert i1.discrimination_n == 3
    assert i2.difficulty == 0.6
    assert i2.discrimination == pytest.approx(
        stats.pointbiserialr([1, 1, 0], [0.2, 0.8, 0]).statistic
    )


def test_no_rows_no_items() -> None:
    assert item_figures([]) == []


@st.composite
def responses(draw: st.DrawFn) -> list[ItemRow]:
    learners = draw(st.integers(3, 25))
    rows = []
    for learner in range(learners):
        for item in draw(st.sets(st.sampled_from(["q1", "q2", "q3", "q4"]), min_size=1)):
            score = draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))
            rows.append(ItemRow(f"l{learner}", item, 1, int(score >= 0.5), score, score >= 0.5))
    return rows


@settings(max_examples=40, deadline=None)
@given(responses())
def test_discrimination_equals_scipy_on_rest_scores(rows: list[ItemRow]) -> None:
    by_learner: dict[str, dict[str, ItemRow]] = {}
    for r in rows:
        by_learner.setdefault(r.learner_key, {})[r.activity_id] = r
    for figures in item_figures(rows):
        x, y = [], []
        for items in by_learner.values():
            if figures.activity_id in items and len(items) >= 2:
                others = [r.first_score for a, r in items.items() if a != figures.activity_id]
                x.append(int(items[figures.activity_id].first_correct))
                y.append(float(np.mean([s for s in others if s is not None])))
        assert figures.discrimination_n == len(x)
        if figures.discrimination is None:
            assert len(x) < 3 or len(set(x)) < 2 or np.ptp(y) < 1e-9
        else:
            expected = stats.pointbiserialr(x, y).statistic
            assert figures.discrimination == pytest.approx(expected, abs=1e-7)


def attempt(eid: str, minutes: int, score: float | None, success: bool | None) -> RecordedEvent:
    return RecordedEvent(
        eid,
        "a",
        "exercise.attempted",
        T0 + timedelta(minutes=minutes),
        activity_id="q",
        score=score,
        success=success,
    )


def test_the_first_attempt_is_the_earliest_whatever_the_arrival_order() -> None:
    events = [
        attempt("e2", 2, 0.9, None),
        attempt("e1", 1, 0.3, None),
        attempt("e3", 3, None, True),
    ]
    state = None
    for event in events:
        correct = attempt_correct(event, lambda _activity: 0.7)
        assert correct is not None
        state = apply_attempt(state, event, correct)
    assert state is not None
    assert (state.graded, state.correct) == (3, 2)
    assert (state.first_event, state.first_score, state.first_correct) == ("e1", 0.3, False)


def test_what_counts_as_a_graded_attempt() -> None:
    mark = lambda _activity: 0.7  # noqa: E731
    assert attempt_correct(attempt("e", 0, 0.2, True), mark) is True  # success wins
    assert attempt_correct(attempt("e", 0, None, None), mark) is None
    started = RecordedEvent("e", "a", "activity.started", T0, activity_id="q", score=1.0)
    assert attempt_correct(started, mark) is None


def _attempts(row: ItemRow) -> ItemAttempts:
    return ItemAttempts(
        row.learner_key,
        row.activity_id,
        row.graded,
        row.correct,
        T0,
        "e",
        row.first_score,
        row.first_correct,
    )


@settings(max_examples=40, deadline=None)
@given(responses())
def test_the_stored_sums_give_the_figures_of_the_rows(rows: list[ItemRow]) -> None:
    by_learner: dict[str, list[ItemAttempts]] = {}
    for r in rows:
        by_learner.setdefault(r.learner_key, []).append(_attempts(r))
    sums: dict[str, list[int]] = {}
    for items in by_learner.values():
        # Built up one item at a time, by difference, as ingest does.
        for count in range(len(items)):
            for activity, delta in share_difference(items[:count], items[: count + 1]).items():
                total = sums.setdefault(activity, [0] * len(delta))
                for i, value in enumerate(delta):
                    total[i] += value
    expected = {f.activity_id: f for f in item_figures(rows)}
    for activity, total in sums.items():
        ours = figures_from_sums(activity, total)
        reference = expected[activity]
        assert (ours.learners, ours.attempts, ours.discrimination_n) == (
            reference.learners,
            reference.attempts,
            reference.discrimination_n,
        )
        assert ours.difficulty == pytest.approx(reference.difficulty)
        assert ours.first_attempt_correct_rate == pytest.approx(
            reference.first_attempt_correct_rate
        )
        assert ours.mean_first_score == pytest.approx(reference.mean_first_score)
        if reference.discrimination is None or ours.discrimination is None:
            assert reference.discrimination is None or abs(reference.discrimination) < 1e-4
        else:  # rest scores are kept in millionths
            assert ours.discrimination == pytest.approx(reference.discrimination, abs=1e-5)


def test_a_learner_with_one_item_has_no_rest_score() -> None:
    one = _attempts(ItemRow("a", "q1", 2, 1, 0.5, False))
    assert item_shares([one]) == {"q1": (1, 2, 1, 0, 500_000, 0, 0, 0, 0, 0)}
    two = _attempts(ItemRow("a", "q2", 1, 1, 1.0, True))
    assert item_shares([one, two])["q1"][5:] == (1, 0, 1_000_000, 0, 10**12)
    assert share_difference([one, two], [])["q2"][0] == -1
