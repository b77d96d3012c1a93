"""Evaluating criteria on a metrics snapshot, and progress towards them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stride.achievements.criteria import parse_criteria
from stride.achievements.metrics import LearnerMetrics, could_change, is_met, progress
from stride.events.recorded import RecordedEvent

TODAY = date(2024, 5, 10)
METRICS = LearnerMetrics(
    streak_current=4,
    streak_longest=9,
    skills_acquired=2,
    sessions=12,
    modules_completed=1,
    perfect_scores=0,
    completion={"m1": 0.5},
    mastery={"negotiation": 0.97},
    improvement={"communication": 0.25},
    event_counts={"custom.call": 3},
)


def criteria(raw: object) -> object:
    return parse_criteria(raw, lambda _kind, _ref: None)


@pytest.mark.parametrize(
    ("raw", "met"),
    [
        ("streak.current >= 4", True),
        ("streak.current > 4", False),
        ("streak.longest == 9", True),
        ("skills.acquired < 2", False),
        ("sessions.count >= 10", True),
        ("module:m1.completion >= 1", False),
        ("module:m2.completion <= 0", True),  # nothing done there: 0
        ("mastery:negotiation >= 0.95", True),
        ("improvement:communication.30d >= 0.2", True),
        ("events:custom.call.count >= 3", True),
        ("score.perfect >= 1", False),
        ({"all": ["streak.current >= 4", "score.perfect >= 1"]}, False),
        ({"any": ["streak.current >= 40", {"all": ["modules.completed >= 1"]}]}, True),
    ],
)
def test_is_met(raw: object, met: bool) -> None:
    assert is_met(criteria(raw), METRICS) is met  # type: ignore[arg-type]


def test_progress_of_one_comparison_with_an_estimate() -> None:
    result = progress(criteria("sessions.count >= 20"), METRICS, {"sessions.count": 0.5}, TODAY)  # type: ignore[arg-type]
    (condition,) = result.conditions
    assert (condition.current, condition.required, result.percent) == (12, 20, 60.0)
    assert result.estimated_date == date(2024, 5, 26)  # 8 more at half a session a day


def test_progress_without_pace_or_for_lower_bounds() -> None:
    rates: dict[str, float | None] = {"sessions.count": None}
    assert progress(criteria("sessions.count >= 20"), METRICS, rates, TODAY).estimated_date is None  # type: ignore[arg-type]
    below = progress(criteria("sessions.count < 5"), METRICS, {}, TODAY)  # type: ignore[arg-type]
    assert (below.percent, below.met, below.estimated_date) == (0.0, False, None)


def test_all_averages_and_any_takes_the_best() -> None:
    rates = {"streak.current": 1.0, "module:m1.completion": 0.05}
    both = criteria({"all": ["streak.current >= 8", "module:m1.completion >= 1"]})
    result = progress(both, METRICS, rates, TODAY)  # type: ignore[arg-type]
    assert result.percent == 50.0  # (50 + 50) / 2
    assert result.estimated_date == date(2024, 5, 20)  # the later of 4 and 10 days
    either = progress(
        criteria({"any": ["streak.current >= 8", "module:m1.completion >= 1"]}),
        METRICS,
        rates,
        TODAY,
    )  # type: ignore[arg-type]
    assert either.estimated_date == date(2024, 5, 14)
    partly_unknown = progress(both, METRICS, {"streak.current": 1.0}, TODAY)  # type: ignore[arg-type]
    assert partly_unknown.estimated_date is None
    met = progress(
        criteria({"any": ["streak.current >= 1", "score.perfect >= 1"]}), METRICS, {}, TODAY
    )  # type: ignore[arg-type]
    assert (met.percent, met.met) == (100.0, True)


def test_huge_targets_give_no_estimate() -> None:
    result = progress(
        criteria("sessions.count >= 999999999"), METRICS, {"sessions.count": 0.1}, TODAY
    )  # type: ignore[arg-type]
    assert result.estimated_date is None and result.percent == 0.0


def test_only_events_that_can_move_a_metric_trigger_it() -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    started = RecordedEvent("e1", "k", "activity.started", at)
    perfect = RecordedEvent("e2", "k", "exercise.attempted", at, activity_id="a", score=1.0)
    tried = RecordedEvent("e3", "k", "exercise.attempted", at, activity_id="a", score=0.5)
    perfect_scores = criteria("score.perfect >= 1").metric  # type: ignore[attr-defined]
    assert [could_change(perfect_scores, e) for e in (started, perfect, tried)] == [
        False,
        True,
        False,
    ]
    streak = criteria("streak.current >= 1").metric  # type: ignore[attr-defined]
    assert could_change(streak, started)
    calls = criteria("events:custom.call.count >= 1").metric  # type: ignore[attr-defined]
    assert not could_change(calls, started)
