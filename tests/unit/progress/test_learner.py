from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from stride.events.recorded import RecordedEvent
from stride.progress.daily import local_day
from stride.progress.learner import LearnerSlice, fold_learner

T0 = datetime(2024, 5, 1, 23, 30, tzinfo=UTC)


def ev(n: int, hours: float, **fields: object) -> RecordedEvent:
    return RecordedEvent(
        event_id=f"e{n}",
        learner_key="k",
        type=str(fields.pop("type", "exercise.attempted")),
        timestamp=T0 + timedelta(hours=hours),
        **fields,  # type: ignore[arg-type]
    )


def test_local_day_follows_the_learner_time_zone() -> None:
    assert local_day(T0, "UTC") == date(2024, 5, 1)
    assert local_day(T0, "Asia/Tokyo") == date(2024, 5, 2)
    assert local_day(T0, "America/New_York") == date(2024, 5, 1)


def test_fold_counts_days_time_sessions_and_activity_statuses() -> None:
    events = [
        ev(1, 0, activity_id="a", activity_type="lesson", duration_s=600, session="s1"),
        ev(2, 0.2, activity_id="a", activity_type="lesson", completion=True, session="s1"),
        ev(3, 0.6, type="session.ended", duration_s=1500, session="s1"),
        ev(4, 48, activity_id="b", activity_type="exercise", duration_s=60, session="s2"),
    ]
    fold = fold_learner(LearnerSlice("k", "UTC"), events)
    stats = fold.stats
    assert stats.events == 4
    assert stats.activities_completed == 1
    assert stats.activities_in_progress == 1
    # Day 1: 600 s of activities but a 1500 s session: the session is the better estimate.
    # 23:30 + 0.6 h is after midnight, so the session end falls on day 2.
    assert sorted(fold.days) == [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)]
    assert fold.days[date(2024, 5, 1)].active_ms == 600_000
    assert fold.days[date(2024, 5, 2)].active_ms == 1_500_000
    assert fold.days[date(2024, 5, 3)].sessions == ("s2",)
    assert stats.total_active_ms == 600_000 + 1_500_000 + 60_000
    assert (stats.active_days, stats.streak.longest, stats.streak.last_run) == (3, 3, 3)
    assert not fold.needs_streak_recompute


def test_a_late_day_asks_for_a_streak_recompute() -> None:
    first = fold_learner(LearnerSlice("k", "UTC"), [ev(1, 48)])
    late = fold_learner(LearnerSlice("k", "UTC", stats=first.stats), [ev(2, 0)])
    assert late.needs_streak_recompute
    assert late.stats.active_days == 2
