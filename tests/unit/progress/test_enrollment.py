from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stride.events.recorded import RecordedEvent
from stride.progress.enrollment import EnrollmentStatus, apply_to_enrollment

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def event(kind: str, day: int, target: date | None = None) -> RecordedEvent:
    return RecordedEvent(
        event_id=f"{day:04d}-{kind}",
        learner_key="k",
        type=f"enrollment.{kind}",
        timestamp=T0 + timedelta(days=day),
        activity_id="prog",
        activity_type="program",
        target_date=target,
    )


def fold(events: list[RecordedEvent]):  # type: ignore[no-untyped-def]
    state = None
    for e in events:
        state = apply_to_enrollment(state, e)
    return state


def test_enroll_cancel_and_re_enroll() -> None:
    state = fold(
        [
            event("created", 0, date(2024, 8, 1)),
            event("cancelled", 5),
            event("created", 9, date(2024, 9, 1)),
        ]
    )
    assert state.status is EnrollmentStatus.ACTIVE
    assert state.enrolled_at == T0 + timedelta(days=9)
    assert state.target_date == date(2024, 9, 1)
    assert state.cancelled_at == T0 + timedelta(days=5)


@given(
    st.lists(
        st.tuples(st.sampled_from(["created", "cancelled"]), st.integers(0, 30)),
        min_size=1,
        max_size=8,
        unique_by=lambda e: e,
    ),
    st.randoms(use_true_random=False),
)
def test_any_arrival_order_gives_the_same_enrollment(
    spec: list[tuple[str, int]], rng: object
) -> None:
    events = [event(kind, day, date(2024, 6, 1) + timedelta(days=day)) for kind, day in spec]
    shuffled = list(events)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert fold(shuffled) == fold(sorted(events, key=lambda e: e.order_key))
