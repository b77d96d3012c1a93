from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from stride.events.recorded import RecordedEvent
from stride.progress.activity import ActivityStatus, apply_to_activity

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


def event(n: int, type_: str = "exercise.attempted", **fields: object) -> RecordedEvent:
    return RecordedEvent(
        event_id=f"e{n}",
        learner_key="k",
        type=type_,
        timestamp=T0 + timedelta(minutes=n),
        activity_id="a",
        activity_type="exercise",
        **fields,  # type: ignore[arg-type]
    )


def fold(events: list[RecordedEvent]):  # type: ignore[no-untyped-def]
    state = None
    for e in events:
        state = apply_to_activity(state, e)
    return state


@pytest.mark.parametrize(
    ("events", "status", "attempts", "completed_minute"),
    [
        ([event(0, "activity.started")], ActivityStatus.IN_PROGRESS, 0, None),
        ([event(0), event(1)], ActivityStatus.IN_PROGRESS, 2, None),
        ([event(0), event(5, "activity.completed")], ActivityStatus.COMPLETED, 1, 5),
        ([event(0, completion=True), event(3, completion=True)], ActivityStatus.COMPLETED, 2, 0),
        ([event(2, "assessment.submitted", completion=False)], ActivityStatus.IN_PROGRESS, 1, None),
    ],
)
def test_status_attempts_and_completion(
    events: list[RecordedEvent], status: ActivityStatus, attempts: int, completed_minute: int | None
) -> None:
    state = fold(events)
    assert state.status is status
    assert state.attempts == attempts
    expected = None if completed_minute is None else T0 + timedelta(minutes=completed_minute)
    assert state.completed_at == expected


def test_scores_time_and_bounds_do_not_depend_on_arrival_order() -> None:
    events = [
        event(0, score=0.4, duration_s=30.5),
        event(7, score=0.9, duration_s=12),
        event(3, score=0.6, duration_s=1.25),
        event(9, "activity.completed"),
    ]
    results = {fold(list(order)) for order in itertools.permutations(events)}
    assert len(results) == 1
    state = results.pop()
    assert (state.best_score, state.last_score) == (0.9, 0.9)
    assert state.time_spent_ms == 43750
    assert state.first_seen == T0
    assert state.last_seen == T0 + timedelta(minutes=9)
