"""Log entries to typed stream messages, their framing, and the live counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from stride.errors import InvalidInput
from stride.realtime.counters import LiveCounters
from stride.realtime.framing import HEARTBEAT_FRAME, parse_last_event_id, sse_frame
from stride.realtime.messages import (
    FeedEntry,
    Message,
    batch_messages,
    derived_message,
    learner_batches,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def entry(seq: int, type_: str, learner: str = "k1", **payload: Any) -> FeedEntry:
    return FeedEntry(seq, "t1", learner, type_, NOW, {"type": type_, **payload})


@pytest.mark.parametrize(
    ("log_type", "payload", "message_type", "expected"),
    [
        (
            "skill.acquired",
            {"skills": ["algebra"], "result": {"score": 0.97}},
            "skill.acquired",
            {"skill_id": "algebra", "score": 0.97},
        ),
        (
            "achievement.awarded",
            {"properties": {"achievement_id": "a1", "name": "First", "points": 10}},
            "achievement.unlocked",
            {"achievement_id": "a1", "name": "First", "points": 10},
        ),
        (
            "goal.met",
            {"properties": {"goal_id": "g1", "kind": "minutes", "target": 30, "actual": 31}},
            "goal.met",
            {"goal_id": "g1", "kind": "minutes", "target": 30, "actual": 31},
        ),
        (
            "certificate.issued",
            {"activity": {"id": "prog"}, "properties": {"credential_id": "c1"}},
            "certificate.issued",
            {"credential_id": "c1", "program_id": "prog"},
        ),
        (
            "certificate.revoked",
            {"activity": {"id": "prog"}, "properties": {"credential_id": "c1", "reason": "x"}},
            "certificate.revoked",
            {"credential_id": "c1", "program_id": "prog", "reason": "x"},
        ),
    ],
)
def test_derived_events_map_to_their_typed_message(
    log_type: str, payload: dict[str, Any], message_type: str, expected: dict[str, Any]
) -> None:
    message = derived_message(
        entry(7, log_type, derived=True, timestamp="2026-03-02T11:00:00Z", **payload)
    )
    assert message is not None
    assert (message.type, message.id, message.learner_key) == (message_type, 7, "k1")
    assert {**expected, "at": "2026-03-02T11:00:00Z"}.items() <= dict(message.data).items()


def test_a_client_event_named_like_a_derived_one_is_not_derived() -> None:
    assert derived_message(entry(3, "achievement.awarded")) is None


def test_ordinary_events_coalesce_to_one_progress_message_per_learner() -> None:
    entries = [
        entry(1, "activity.started"),
        entry(2, "exercise.attempted", learner="k2"),
        entry(3, "exercise.attempted"),
        entry(4, "skill.acquired", derived=True, skills=["s"]),
        entry(5, "exercise.attempted"),
    ]
    batches = learner_batches(entries)
    assert batches[("t1", "k1")].last_seq == 5
    assert batches[("t1", "k1")].count == 3
    assert batches[("t1", "k1")].types == ("activity.started", "exercise.attempted")
    figures = {("t1", "k1"): {"events": 9, "current_streak": 2}}
    messages = batch_messages(entries, figures)
    assert [(m.type, m.id, m.learner_key) for m in messages] == [
        ("progress.updated", 2, "k2"),
        ("skill.acquired", 4, "k1"),
        ("progress.updated", 5, "k1"),
    ]
    assert messages[2].data["progress"] == {"events": 9, "current_streak": 2}
    assert messages[0].data["progress"] is None  # figures unknown (erased meanwhile)


def test_streak_changed_only_when_the_current_streak_moves() -> None:
    last: dict[tuple[str, str], int] = {}
    first = batch_messages([entry(1, "x.y")], {("t1", "k1"): {"current_streak": 1}}, last)
    same = batch_messages([entry(2, "x.y")], {("t1", "k1"): {"current_streak": 1}}, last)
    moved = batch_messages([entry(3, "x.y")], {("t1", "k1"): {"current_streak": 2}}, last)
    assert [m.type for m in first] == ["progress.updated", "streak.changed"]
    assert [m.type for m in same] == ["progress.updated"]
    assert moved[1].type == "streak.changed"
    assert dict(moved[1].data) == {"current": 2, "previous": 1}


def test_sse_frame_carries_id_event_and_json_data() -> None:
    message = Message("goal.met", "t1", {"goal_id": "g"}, 42, "k1")
    frame = sse_frame(message)
    lines = frame.decode().split("\n")
    assert lines[:2] == ["id: 42", "event: goal.met"]
    assert orjson.loads(lines[2].removeprefix("data: ")) == {
        "type": "goal.met",
        "id": 42,
        "learner_key": "k1",
        "goal_id": "g",
    }
    assert frame.endswith(b"\n\n")
    assert not sse_frame(Message("counters", "t1")).startswith(b"id:")
    assert HEARTBEAT_FRAME.startswith(b":")


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9" * 30, True, [1]])
def test_a_bad_last_event_id_is_invalid_input(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_last_event_id(value)


def test_last_event_id_parses() -> None:
    assert parse_last_event_id(None) is None
    assert parse_last_event_id("") is None
    assert parse_last_event_id(" 17 ") == 17
    assert parse_last_event_id(3) == 3


def test_counters_count_the_last_10_seconds_and_5_minutes() -> None:
    counters = LiveCounters()
    counters.record(
        [
            FeedEntry(1, "t1", "a", "x.y", NOW - timedelta(minutes=6), {}),
            FeedEntry(2, "t1", "b", "x.y", NOW - timedelta(minutes=2), {}),
            FeedEntry(3, "t1", "c", "x.y", NOW - timedelta(seconds=3), {}),
            FeedEntry(4, "t1", "c", "x.y", NOW - timedelta(seconds=1), {}),
            FeedEntry(5, "t1", "d", "skill.acquired", NOW, {"derived": True}),
        ]
    )
    assert counters.snapshot(NOW) == (0.2, 2)
