"""Tests of the deterministic demo activity generator."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from stride.demo.curriculum import MODULES
from stride.demo.generator import demo_learner_ids, demo_learners, generate_demo_events
from stride.events.schema import Event
from stride.events.validation import ValidationLimits, validate_event
from stride.progress.streaks import compute_streak

END = datetime(2025, 6, 1, 17, 30, 12, 345678, tzinfo=UTC)
SMALL = {"seed": 7, "learners": 40, "days": 30}
WIDE = {"seed": 11, "learners": 120, "days": 90}

Raw = dict[str, Any]


@pytest.fixture(scope="module")
def small() -> list[Raw]:
    return list(generate_demo_events(**SMALL, end=END))


@pytest.fixture(scope="module")
def wide() -> list[Raw]:
    return list(generate_demo_events(**WIDE, end=END))


def _instant(event: Raw) -> datetime:
    return datetime.fromisoformat(event["timestamp"])


def _by_learner(events: list[Raw]) -> dict[str, list[Raw]]:
    grouped: dict[str, list[Raw]] = defaultdict(list)
    for event in events:
        grouped[event["learner"]].append(event)
    return grouped


def test_same_seed_gives_identical_events(small: list[Raw]) -> None:
    assert list(generate_demo_events(**SMALL, end=END)) == small


def test_different_seeds_give_different_events(small: list[Raw]) -> None:
    other = list(generate_demo_events(**{**SMALL, "seed": 8}, end=END))
    assert other != small
    assert {e["id"] for e in other}.isdisjoint({e["id"] for e in small})


def test_every_event_is_valid(small: list[Raw]) -> None:
    limits = ValidationLimits(now=END, max_future_skew=timedelta(hours=24))
    results = [(raw, validate_event(raw, limits)) for raw in small]
    assert [(raw, r) for raw, r in results if not isinstance(r, Event)] == []
    assert len({e["id"] for e in small}) == len(small)


def test_events_are_in_global_time_order_within_the_window(small: list[Raw]) -> None:
    instants = [_instant(e) for e in small]
    assert instants == sorted(instants)
    assert END - timedelta(days=SMALL["days"]) <= instants[0]
    assert instants[-1] <= END


def test_learners_are_the_advertised_ones(small: list[Raw]) -> None:
    ids = demo_learner_ids(SMALL["learners"])
    assert ids[0] == "learner-0001"
    assert {e["learner"] for e in small} <= set(ids)
    assert [p.id for p in demo_learners(**SMALL)] == ids


def test_modules_are_completed_in_curriculum_order(wide: list[Raw]) -> None:
    order = [m.activity.id for m in MODULES]
    for events in _by_learner(wide).values():
        done = [
            e["activity"]["id"]
            for e in events
            if e["type"] == "activity.completed" and e["activity"]["type"] == "module"
        ]
        assert done == order[: len(done)]
        # No item of a module is touched before the previous module is complete.
        completed: set[str] = set()
        for event in events:
            module = event.get("context", {}).get("module")
            if module is not None and order.index(module) > 0:
                assert order[order.index(module) - 1] in completed
            if event["type"] == "activity.completed" and event["activity"]["type"] == "module":
                completed.add(event["activity"]["id"])


def test_sessions_are_well_formed(small: list[Raw]) -> None:
    sessions: dict[str, list[Raw]] = defaultdict(list)
    for event in small:
        sessions[event["session"]].append(event)
    for events in sessions.values():
        assert events[0]["type"] == "session.started"
        assert events[-1]["type"] == "session.ended"
        assert 3 <= len(events) <= 20
        span = (_instant(events[-1]) - _instant(events[0])).total_seconds()
        assert events[-1]["result"]["duration_s"] == span


def test_attempt_results_are_consistent(small: list[Raw]) -> None:
    attempts = [e for e in small if e["type"] in ("exercise.attempted", "assessment.submitted")]
    assert attempts
    for event in attempts:
        result = event["result"]
        assert result["success"] == (result["score"] >= 0.7)
        assert event["skills"]
        assert event["context"]["attempt"] >= 1


def test_some_learners_drop_out(wide: list[Raw]) -> None:
    last = {learner: _instant(events[-1]) for learner, events in _by_learner(wide).items()}
    quiet = [learner for learner, at in last.items() if at < END - timedelta(days=7)]
    assert len(quiet) >= 0.15 * WIDE["learners"]
    dropouts = [p.id for p in demo_learners(**WIDE) if p.stop_day is not None]
    assert 0.2 * WIDE["learners"] <= len(dropouts) <= 0.4 * WIDE["learners"]
    assert all(last[learner] < END - timedelta(days=7) for learner in dropouts if learner in last)


def test_some_learners_enrol_late(wide: list[Raw]) -> None:
    firsts = {learner: _instant(events[0]) for learner, events in _by_learner(wide).items()}
    late = [at for at in firsts.values() if at > END - timedelta(days=WIDE["days"] - 14)]
    assert len(late) >= 0.2 * WIDE["learners"]


def test_learners_live_in_several_time_zones(wide: list[Raw]) -> None:
    assert len({p.timezone for p in demo_learners(**WIDE)}) >= 3
    assert len({_instant(e).utcoffset() for e in wide}) >= 3


def test_some_learners_keep_long_streaks(wide: list[Raw]) -> None:
    zones = {p.id: p.zone for p in demo_learners(**WIDE)}
    days: dict[str, set[date]] = defaultdict(set)
    for event in wide:
        days[event["learner"]].add(_instant(event).astimezone(zones[event["learner"]]).date())
    longest = sorted(compute_streak(d).longest for d in days.values())
    assert longest[-1] >= 30
    assert longest[len(longest) // 2] < 14


def test_volume_is_roughly_as_expected(wide: list[Raw]) -> None:
    # 500 learners x 90 days should give 150k-300k events, i.e. 300-600 per learner.
    per_learner = len(wide) / WIDE["learners"]
    assert 250 <= per_learner <= 650


def test_end_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        generate_demo_events(1, 1, 1, end=datetime(2025, 1, 1))
