"""Dating an award inside a batch: the event that made the criteria true."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stride.achievements.criteria import AllOf, AnyOf, Comparison, Metric
from stride.achievements.metrics import LearnerMetrics
from stride.achievements.satisfaction import History, needs_history, satisfying_event
from stride.events.recorded import RecordedEvent

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _done(hour: int, activity: str = "a") -> RecordedEvent:
    at = T0 + timedelta(hours=hour)
    return RecordedEvent(f"e{hour:02}", "k", "activity.completed", at, activity_id=activity)


def _scored(hour: int, score: float) -> RecordedEvent:
    at = T0 + timedelta(hours=hour)
    return RecordedEvent(f"s{hour:02}", "k", "exercise.attempted", at, activity_id="x", score=score)


COMPLETED_2 = Comparison(Metric("activities.completed"), ">=", 2)
BEST = Comparison(Metric("activity", "x"), ">", 0.8)


def test_nth_completion_dates_a_stepped_metric() -> None:
    relevant = [_done(1), _done(2, "b"), _done(5, "c")]
    history = History(activity_completions=(T0 - timedelta(days=3), T0 + timedelta(hours=2)))
    assert satisfying_event(COMPLETED_2, relevant, LearnerMetrics(), history) == 1


def test_first_score_over_the_bar() -> None:
    relevant = [_scored(1, 0.8), _scored(2, 0.81), _scored(3, 1.0)]
    assert satisfying_event(BEST, relevant, LearnerMetrics(), History()) == 1


def test_all_waits_for_its_last_part_and_any_takes_its_first_met_part() -> None:
    relevant = sorted(
        [_done(1), _scored(2, 0.9), _done(4, "b"), _scored(6, 0.95)], key=lambda e: e.order_key
    )
    history = History(activity_completions=(T0 + timedelta(hours=1), T0 + timedelta(hours=4)))
    metrics = LearnerMetrics(activities_completed=2, best_score={"x": 0.95})
    both, either = AllOf((COMPLETED_2, BEST)), AnyOf((COMPLETED_2, BEST))
    assert relevant[satisfying_event(both, relevant, metrics, history)].event_id == "e04"
    assert relevant[satisfying_event(either, relevant, metrics, history)].event_id == "s02"


def test_metrics_that_go_down_are_dated_by_the_last_relevant_event() -> None:
    streak = Comparison(Metric("streak.current"), ">=", 3)
    relevant = [_done(1), _done(2, "b")]
    assert not needs_history(streak)
    assert satisfying_event(streak, relevant, LearnerMetrics(streak_current=3), History()) == 1
    assert needs_history(AnyOf((streak, COMPLETED_2)))
