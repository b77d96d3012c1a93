"""The SDK builds events the server's schema accepts."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.events.schema import Event
from stride.sdk.events import build_event, encode_event, format_timestamp


def test_minimal_event_is_valid_with_fresh_uuid4_and_aware_timestamp() -> None:
    first = build_event("activity.started", "u-1")
    second = build_event("activity.started", "u-1")
    Event.model_validate(first)
    assert first["id"] != second["id"]
    assert uuid.UUID(first["id"]).version == 4
    assert datetime.fromisoformat(first["timestamp"]).tzinfo is not None
    assert set(first) == {"id", "type", "learner", "timestamp"}


def test_full_event_is_valid() -> None:
    event = build_event(
        "exercise.attempted",
        "user-8812",
        activity={"id": "pmf/c1/m2/ex3", "type": "exercise"},
        result={"score": 0.8, "success": True, "duration_s": 95},
        properties={"hint_used": False},
        session="sess-1",
        timestamp=datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        skills=["stakeholder-mapping"],
        context={"program": "pmf", "attempt": 2},
    )
    parsed = Event.model_validate(event)
    assert parsed.timestamp == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert event["timestamp"] == "2024-05-01T09:30:00.000000+02:00"


@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-9, minutes=-30))]),
    )
)
def test_any_aware_datetime_gives_an_rfc3339_timestamp(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert datetime.fromisoformat(text) == moment
    Event.model_validate(build_event("custom.x", "l", timestamp=text))


def test_given_event_id_is_normalised_and_kept() -> None:
    raw = "5B0F8B8E-6A3C-4C5E-9A7E-1F2D3C4B5A69"
    assert build_event("activity.started", "u", event_id=raw)["id"] == raw.lower()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timestamp": datetime(2024, 5, 1, 9, 30)},  # naive: the instant is unknown
        {"learner": ""},
        {"learner": "   "},
        {"learner": "x" * 257},
        {"skills": "one-skill"},
        {"event_id": "not-a-uuid"},
    ],
)
def test_impossible_events_are_refused_at_track_time(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"type": "activity.started", "learner": "u", **kwargs}
    with pytest.raises(ValueError):
        build_event(**arguments)  # type: ignore[arg-type]


def test_values_json_cannot_hold_are_refused() -> None:
    with pytest.raises(ValueError, match="JSON"):
        encode_event(build_event("activity.started", "u", properties={"when": object()}))
    with pytest.raises(ValueError, match="JSON"):
        encode_event(build_event("activity.started", "u", result={"score": float("nan")}))
    assert json.loads(encode_event(build_event("custom.x", "u", properties={"é": 1})))
