from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from stride.events.recorded import RecordedEvent
from stride.progress.bkt import BktParams, update
from stride.progress.mastery import (
    GradedAttempt,
    MasteryRules,
    apply_attempt,
    graded_attempt,
    replay,
)

PARAMS = BktParams(prior=0.2, learn=0.15, guess=0.2, slip=0.1)
T0 = datetime(2024, 5, 6, 9, tzinfo=UTC)  # a Monday


def rules(model: str = "bkt", threshold: float = 0.9) -> MasteryRules:
    return MasteryRules(
        model=model,  # type: ignore[arg-type]
        threshold=threshold,
        skills_of=lambda activity: ("s1",) if activity == "ex1" else (),
        pass_mark=lambda activity: 0.6,
        params_of=lambda skill: PARAMS,
    )


def event(**fields: object) -> RecordedEvent:
    base: dict[str, object] = {
        "event_id": "e1",
        "learner_key": "k",
        "type": "exercise.attempted",
        "timestamp": T0,
        "activity_id": "ex1",
    }
    return RecordedEvent(**{**base, **fields})  # type: ignore[arg-type]


def test_grading_uses_success_then_the_pass_mark_then_gives_up() -> None:
    passed = graded_attempt(event(success=True, score=0.2), rules())
    assert passed is not None and passed.correct is True and passed.score == 0.2
    by_mark = graded_attempt(event(score=0.65), rules())
    assert by_mark is not None and by_mark.correct is True and by_mark.skills == ("s1",)
    assert graded_attempt(event(score=0.55), rules()).correct is False  # type: ignore[union-attr]
    assert graded_attempt(event(), rules()) is None  # neither success nor score
    assert graded_attempt(event(activity_id="other", success=True), rules()) is None  # no skill
    tagged = graded_attempt(event(activity_id="other", success=True, skills=("s9",)), rules())
    assert tagged is not None and tagged.skills == ("s9",)
    assert graded_attempt(event(type="activity.completed", success=True), rules()) is None
    assert graded_attempt(event(success=True, derived=True), rules()) is None


def attempt(i: int, correct: bool) -> GradedAttempt:
    return GradedAttempt(f"e{i:03d}", T0 + timedelta(days=i), correct, float(correct), ("s1",))


def test_each_attempt_is_one_bkt_update_and_acquisition_is_the_first_crossing() -> None:
    state = None
    p = PARAMS.prior
    for i in range(12):
        state = apply_attempt(state, "k", "s1", attempt(i, True), date(2024, 5, 6), rules())
        p = update(p, True, PARAMS)
        assert state.p_bkt == p
    assert state is not None and state.attempts == 12 and state.correct == 12
    first_crossing = next(i for i in range(12) if _p_after(i + 1) >= 0.9)
    assert state.acquired_at == T0 + timedelta(days=first_crossing)
    assert state.weekly == ((date(2024, 5, 6), state.p_bkt),)
    assert len(state.recent) == 12


def _p_after(n: int) -> float:
    p = PARAMS.prior
    for _ in range(n):
        p = update(p, True, PARAMS)
    return p


def test_heuristic_model_decides_acquisition_when_chosen() -> None:
    state = None
    for i in range(25):
        state = apply_attempt(
            state, "k", "s1", attempt(i, True), date(2024, 5, 6), rules("heuristic", 0.95)
        )
    assert state is not None and state.value("heuristic") >= 0.95
    assert state.acquired_at is not None and len(state.recent) == 20


@given(st.permutations(list(range(10))), st.lists(st.booleans(), min_size=10, max_size=10))
def test_replay_does_not_depend_on_arrival_order(order: list[int], answers: list[bool]) -> None:
    attempts = [attempt(i, answers[i]) for i in range(10)]
    week = lambda t: t.date() - timedelta(days=t.weekday())  # noqa: E731
    in_order = replay("k", "s1", attempts, week, rules())
    shuffled = replay("k", "s1", [attempts[i] for i in order], week, rules())
    assert shuffled == in_order
    assert in_order is not None and len(in_order.weekly) == 2  # ten days span two weeks
