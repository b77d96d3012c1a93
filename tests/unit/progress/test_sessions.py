from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stride.progress.sessions import (
    SessionEvent,
    SkillInSession,
    session_durations,
    summarize_sessions,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
ATTEMPT = "exercise.attempted"


def ev(
    event_id: str,
    minute: float,
    *,
    type: str = ATTEMPT,
    session: str | None = None,
    score: float | None = None,
    correct: bool | None = None,
    skills: tuple[str, ...] = (),
    duration_s: float | None = None,
    activity_id: str | None = "ex-1",
) -> SessionEvent:
    return SessionEvent(
        event_id=event_id,
        timestamp=T0 + timedelta(minutes=minute),
        type=type,
        session=session,
        activity_id=activity_id,
        score=score,
        correct=correct,
        skills=skills,
        duration_s=duration_s,
    )


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_no_events_no_sessions() -> None:
    assert summarize_sessions([]) == []


def test_inactivity_longer_than_the_gap_starts_a_new_inferred_session() -> None:
    events = [ev("e1", 0), ev("e2", 10), ev("e3", 40), ev("e4", 71)]
    result = summarize_sessions(events)
    # 10 -> 40 is exactly 30 minutes (not more): same session; 40 -> 71 is 31.
    assert [(s.session_id, s.events) for s in result] == [
        ("inferred-e1", 3),
        ("inferred-e4", 1),
    ]
    assert all(s.inferred for s in result)
    assert (result[0].started_at, result[0].ended_at) == (at(0), at(40))
    assert result[0].duration_s == 2400.0
    assert result[1].duration_s == 0.0


def test_inferred_session_ends_after_the_last_event_duration() -> None:
    result = summarize_sessions([ev("e1", 0, duration_s=60), ev("e2", 10, duration_s=120)])
    assert result[0].ended_at == at(12)
    assert result[0].duration_s == 720.0


def test_inactivity_counts_from_the_end_of_a_long_activity() -> None:
    # A 45-minute video at 0, the next event at 60: only 15 minutes of inactivity.
    events = [ev("video", 0, type="activity.completed", duration_s=45 * 60), ev("e2", 60)]
    assert len(summarize_sessions(events)) == 1
    assert len(summarize_sessions([ev("video", 0, type="activity.completed"), ev("e2", 60)])) == 2


def test_custom_gap() -> None:
    events = [ev("e1", 0), ev("e2", 10)]
    assert len(summarize_sessions(events, gap=timedelta(minutes=5))) == 2
    with pytest.raises(ValueError):
        summarize_sessions(events, gap=timedelta(0))


def test_explicit_session_uses_its_start_and_end_events() -> None:
    events = [
        ev("s", 0, type="session.started", session="S"),
        ev("a1", 5, session="S", score=0.5, correct=False, skills=("fractions",)),
        ev("a2", 10, session="S", score=1.0, correct=True, skills=("fractions",)),
        ev("e", 20, type="session.ended", session="S"),
    ]
    [summary] = summarize_sessions(events)
    assert summary.session_id == "S"
    assert not summary.inferred
    assert (summary.started_at, summary.ended_at, summary.duration_s) == (at(0), at(20), 1200.0)
    assert (summary.events, summary.attempts) == (4, 2)
    assert summary.mean_score == 0.75
    assert summary.skills_practised == (SkillInSession("fractions", 2, 0.5, 0.75),)


def test_explicit_session_without_markers_spans_its_events() -> None:
    # No gap rule inside a declared session: two hours apart is still one session.
    events = [ev("a1", 0, session="S"), ev("a2", 120, session="S", duration_s=90)]
    [summary] = summarize_sessions(events)
    assert (summary.started_at, summary.ended_at) == (at(0), at(121.5))


def test_end_before_start_gives_zero_duration() -> None:
    events = [
        ev("s", 10, type="session.started", session="S"),
        ev("e", 5, type="session.ended", session="S"),
    ]
    [summary] = summarize_sessions(events)
    assert summary.duration_s == 0.0
    assert summary.ended_at == summary.started_at == at(10)


def test_explicit_and_inferred_sessions_come_out_oldest_first() -> None:
    events = [
        ev("x2", 200, session="B"),
        ev("n1", 100),
        ev("x1", 0, session="A"),
        ev("n2", 300),
    ]
    result = summarize_sessions(events)
    assert [s.session_id for s in result] == ["A", "inferred-n1", "B", "inferred-n2"]


def test_only_attempts_count_as_attempts() -> None:
    events = [
        ev("c", 0, type="activity.completed", score=0.1, correct=False, skills=("k",)),
        ev("a", 1, score=0.9, correct=True, skills=("k",)),
        ev("b", 2, type="assessment.submitted", score=0.7, skills=("k", "j")),
    ]
    [summary] = summarize_sessions(events)
    assert (summary.events, summary.attempts) == (3, 2)
    assert summary.mean_score == pytest.approx(0.8)
    # Sorted by skill; "b" has no `correct`, so j has attempts but no rate.
    assert summary.skills_practised == (
        SkillInSession("j", 1, None, 0.7),
        SkillInSession("k", 2, 1.0, pytest.approx(0.8)),  # type: ignore[arg-type]
    )


def test_session_without_scores_has_no_mean() -> None:
    [summary] = summarize_sessions([ev("a", 0), ev("b", 1, type="activity.started")])
    assert summary.mean_score is None
    assert summary.skills_practised == ()


def graded(prefix: str, minute: float, results: str, skill: str = "k") -> list[SessionEvent]:
    """One attempt per character: "1" correct, "0" wrong, a minute apart."""
    return [
        ev(f"{prefix}{i}", minute + i, correct=c == "1", skills=(skill,))
        for i, c in enumerate(results)
    ]


def test_improved_needs_a_tenth_more_than_all_earlier_sessions() -> None:
    # Earlier: 1 of 2 (0.5). Then 3 of 5 (0.6): exactly 0.1 better, which counts
    # (in floating point 0.6 - 0.5 < 0.1).
    result = summarize_sessions(graded("a", 0, "10") + graded("b", 120, "11100"))
    assert result[0].improved == ()
    assert result[1].improved == ("k",)


def test_improved_compares_with_all_earlier_sessions_together() -> None:
    # Earlier: 1/2 then 4/4 -> 5/6 (0.83). Now 9/10 (0.9): not 0.1 better than 0.83,
    # though 0.4 better than the first session alone.
    events = graded("a", 0, "10") + graded("b", 120, "1111") + graded("c", 240, "1111111110")
    result = summarize_sessions(events)
    assert result[1].improved == ("k",)
    assert result[2].improved == ()


def test_improved_needs_two_attempts_before_and_now() -> None:
    assert summarize_sessions(graded("a", 0, "0") + graded("b", 120, "11"))[1].improved == ()
    assert summarize_sessions(graded("a", 0, "00") + graded("b", 120, "1"))[1].improved == ()
    assert summarize_sessions(graded("a", 0, "00") + graded("b", 120, "11"))[1].improved == ("k",)


def test_a_skill_can_be_improved_and_still_hard() -> None:
    # 0 of 4 before, 1 of 3 now: a third better, and still mostly wrong.
    result = summarize_sessions(graded("a", 0, "0000") + graded("b", 120, "100"))
    assert (result[1].improved, result[1].hard) == (("k",), ("k",))


@pytest.mark.parametrize(
    ("results", "hard"),
    [("001", ("k",)), ("01", ()), ("0", ()), ("0000", ("k",)), ("11", ())],
)
def test_hard_is_below_half_correct_over_two_attempts(results: str, hard: tuple[str, ...]) -> None:
    assert summarize_sessions(graded("a", 0, results))[0].hard == hard


def test_events_are_validated() -> None:
    with pytest.raises(ValueError):
        SessionEvent("e", datetime(2024, 5, 1), ATTEMPT, None, None, None, None, (), None)
    with pytest.raises(ValueError):
        ev("e", 0, score=1.5)
    with pytest.raises(ValueError):
        ev("e", 0, duration_s=-1)


event_lists = st.lists(
    st.builds(
        lambda minute, kind, session, correct, score, skills, duration: (
            minute,
            kind,
            session,
            correct,
            score,
            skills,
            duration,
        ),
        st.integers(0, 600),
        st.sampled_from([ATTEMPT, "assessment.submitted", "activity.completed", "session.started"]),
        st.sampled_from([None, None, "S1", "S2"]),
        st.none() | st.booleans(),
        st.none() | st.floats(0, 1),
        st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True).map(tuple),
        st.none() | st.integers(0, 3600),
    ),
    max_size=25,
).map(
    lambda rows: [
        ev(
            f"e{i}",
            m,
            type=k,
            session=s,
            correct=c,
            score=sc,
            skills=sk,
            duration_s=d,
        )
        for i, (m, k, s, c, sc, sk, d) in enumerate(rows)
    ]
)


@settings(max_examples=60)
@given(event_lists, st.randoms(use_true_random=False))
def test_arrival_order_does_not_matter(events: list[SessionEvent], rnd: random.Random) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert summarize_sessions(shuffled) == summarize_sessions(events)


@settings(max_examples=60)
@given(event_lists)
def test_every_event_lands_in_exactly_one_sane_session(events: list[SessionEvent]) -> None:
    result = summarize_sessions(events)
    assert sum(s.events for s in result) == len(events)
    assert len({s.session_id for s in result}) == len(result)
    assert [s.started_at for s in result] == sorted(s.started_at for s in result)
    for s in result:
        assert s.started_at <= s.ended_at
        assert s.duration_s == (s.ended_at - s.started_at).total_seconds() >= 0
        assert s.mean_score is None or 0.0 <= s.mean_score <= 1.0
        for skill in s.skills_practised:
            assert skill.correct_rate is None or 0.0 <= skill.correct_rate <= 1.0
        assert set(s.improved) | set(s.hard) <= {k.skill for k in s.skills_practised}


@settings(max_examples=80)
@given(event_lists, st.randoms(use_true_random=False))
def test_durations_alone_match_the_summaries(
    events: list[SessionEvent], rnd: random.Random
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert session_durations(shuffled) == [s.duration_s for s in summarize_sessions(events)]
