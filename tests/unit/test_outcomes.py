"""Outcomes: growth and gap closure per dimension, practice vs improvement, velocity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from scipy import stats

from stride.analytics.coaching import MeetingRow, meeting_figures, practice_figures
from stride.analytics.outcomes import (
    OutcomeRules,
    SkillStanding,
    dimension_outcomes,
    learning_velocity,
    practice_vs_improvement,
    velocity_summary,
)

W1 = date(2024, 4, 29)  # Mondays
W2, W3, W4 = (W1 + timedelta(weeks=n) for n in (1, 2, 3))
RULES = OutcomeRules(
    threshold=0.95,
    dimensions=[("execution", "Execution"), ("communication", "Communication")],
    skills_of={
        "execution": [("planning", 1.0), ("budgeting", 2.0)],
        "communication": [("writing", 1.0)],
    },
    untouched=lambda _skill: 0.1,
)


# Period [W2, W4): a practised planning (0.5 by W1, 0.97 in W3) and budgeting (0.96 in W2,
# nothing before); b practised planning once, in W1 (0.3).
ROWS = [
    SkillStanding("a", "planning", 6, 0.5, 0.97),
    SkillStanding("a", "budgeting", 2, None, 0.96),
    SkillStanding("b", "planning", 1, 0.3, 0.3),
]


def test_growth_and_gap_closure_per_dimension() -> None:
    execution, communication = dimension_outcomes(ROWS, RULES)
    assert execution.learners == 2
    # a: (0.5 + 2 * 0.1) / 3 -> (0.97 + 2 * 0.96) / 3; b: (0.3 + 0.2) / 3 both times.
    assert execution.mean_start == pytest.approx((0.7 / 3 + 0.5 / 3) / 2)
    assert execution.mean_end == pytest.approx((2.89 / 3 + 0.5 / 3) / 2)
    assert execution.growth == pytest.approx(execution.mean_end - execution.mean_start)
    assert (execution.below_at_start, execution.closed_gap, execution.gap_closure) == (2, 1, 0.5)
    assert communication.learners == 0 and communication.gap_closure is None


def test_an_open_start_compares_with_untouched_mastery() -> None:
    rows = [SkillStanding(r.learner_key, r.skill_id, r.attempts, None, r.at_end) for r in ROWS]
    execution, _ = dimension_outcomes(rows, RULES)
    assert execution.mean_start == pytest.approx(0.1)


def test_nothing_practised_by_the_end_means_no_cohort() -> None:
    rows = [SkillStanding("a", "planning", 1, None, None)]
    assert [d.learners for d in dimension_outcomes(rows, RULES)] == [0, 0]
    assert [d.learners for d in dimension_outcomes([], RULES)] == [0, 0]


def test_velocity_counts_acquisitions_per_active_week() -> None:
    assert learning_velocity({"a": 2, "c": 1}, {"a": 2, "b": 1, "d": 0}) == [1.0, 0.0]
    summary = velocity_summary([0.0, 0.5, 1.0, 1.0, 3.0])
    assert summary.learners == 5 and summary.mean == 1.1
    assert [q.value for q in summary.quantiles] == pytest.approx([0.2, 0.5, 1.0, 1.0, 2.2])
    assert [b.learners for b in summary.histogram] == [1, 0, 1, 2, 1]
    assert summary.histogram[-1].high is None


def test_practice_volume_against_improvement() -> None:
    rows = [
        SkillStanding(f"l{i}", "planning", attempts, None, 0.1 + gain)
        for i, (attempts, gain) in enumerate([(1, 0.0), (3, 0.1), (5, 0.3), (9, 0.2)])
    ]
    rows.append(SkillStanding("l0", "writing", 4, None, None))  # volume counts, no change
    result = practice_vs_improvement(rows, lambda _skill: 0.1)
    assert result.n == 4
    # Volumes 5, 3, 5, 9 against gains 0, 0.1, 0.3, 0.2.
    expected = stats.spearmanr([5, 3, 5, 9], [0.0, 0.1, 0.3, 0.2]).statistic
    assert result.coefficient == pytest.approx(expected)


def test_meeting_figures() -> None:
    t = datetime(2024, 5, 1, tzinfo=UTC)
    rows = [
        MeetingRow("a", t, t + timedelta(minutes=10), None),
        MeetingRow("a", t, t + timedelta(minutes=30), t),
        MeetingRow("b", t, None, t),
        MeetingRow("c", t, None, None),
    ]
    figures = meeting_figures(rows, 14)
    assert (figures.uploaded, figures.succeeded, figures.failed, figures.pending) == (4, 2, 1, 1)
    assert figures.median_processing_s == 1200
    assert figures.analyses_per_learner_per_week == pytest.approx(2 / 3 / 2)
    empty = meeting_figures([], 7)
    assert empty.median_processing_s is None and empty.analyses_per_learner_per_week is None
    assert practice_figures([(4, 3), (6, 3)]).completion_rate == 0.6
    assert practice_figures([]).completion_rate is None
