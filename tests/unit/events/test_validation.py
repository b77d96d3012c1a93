from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stride.errors import FieldError
from stride.events.schema import Event
from stride.events.validation import ValidationLimits, content_hash, stored_payload, validate_event
from tests.factories import make_event
from tests.strategies import json_values as any_json

NOW = datetime(2024, 6, 1, tzinfo=UTC)
LIMITS = ValidationLimits(NOW, timedelta(hours=24))


def errors_of(raw: Any) -> list[tuple[str, str]]:
    result = validate_event(raw, LIMITS)
    assert isinstance(result, list), "expected the event to be rejected"
    return [(e.path, e.reason) for e in result]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"type": "custom.coaching.note"},
        {"timestamp": "2024-05-01T09:30:00.123+02:00"},
        {"session": "s-1", "skills": ["a", "b"], "context": {"course": "c", "attempt": 2, "x": 1}},
        {"properties": {"a": [1, {"b": None}], "c": "d"}},
        {"result": {"score": 0, "success": False, "completion": True, "response": "B"}},
        {"timestamp": (NOW + timedelta(hours=23)).isoformat()},
    ],
)
def test_valid_events(overrides: dict[str, Any]) -> None:
    assert isinstance(validate_event(make_event(**overrides), LIMITS), Event)


@pytest.mark.parametrize(
    ("overrides", "path", "reason_part"),
    [
        ({"timestamp": "2024-05-01T09:30:00"}, "timestamp", "offset"),
        ({"timestamp": 1714550000}, "timestamp", "RFC 3339"),
        ({"timestamp": (NOW + timedelta(hours=25)).isoformat()}, "timestamp", "future"),
        ({"result": {"score": 1.01}}, "result.score", "less than or equal to 1"),
        ({"result": {"score": -0.1}}, "result.score", "greater than or equal to 0"),
        ({"result": {"score": "0.5"}}, "result.score", "number"),
        ({"result": {"success": "yes"}}, "result.success", "boolean"),
        ({"surprise": 1}, "surprise", "unknown field"),
        ({"type": "lesson.watched"}, "type", "unknown event type"),
        ({"id": "not-a-uuid"}, "id", "UUID"),
        ({"learner": ""}, "learner", "at least 1"),
        ({"learner": "x" * 257}, "learner", "at most 256"),
        ({"skills": ["ok", 3]}, "skills[1]", "string"),
        ({"activity": {"id": "a", "type": "video"}}, "activity.type", "Input should be"),
        ({"properties": {"a": {"b": {"c": {"d": {"e": {}}}}}}}, "properties.a.b.c.d.e", "deeper"),
        ({"properties": {"t": "x" * 5000}}, "properties.t", "longer"),
        ({"properties": {"n": list(range(600))}}, "properties.n", "more than 500"),
        ({"context": {"nested": {"a": 1}}}, "context.nested", "a string, an integer, a number"),
    ],
)
def test_invalid_events_name_the_field(
    overrides: dict[str, Any], path: str, reason_part: str
) -> None:
    found = errors_of(make_event(**overrides))
    assert any(p == path and reason_part in r for p, r in found), found


def test_missing_fields_are_each_reported() -> None:
    paths = {p for p, _ in errors_of({})}
    assert {"id", "type", "learner", "timestamp"} <= paths


def test_payload_drops_the_learner_and_normalizes_time() -> None:
    raw = make_event(timestamp="2024-05-01T11:00:00+02:00", session=None)
    raw["id"] = raw["id"].upper()
    raw["session"] = None
    event = validate_event(raw, LIMITS)
    assert isinstance(event, Event)
    payload = stored_payload(raw, event.id, event.timestamp.astimezone(UTC))
    assert "learner" not in payload and "session" not in payload
    assert payload["timestamp"] == "2024-05-01T09:00:00Z"
    assert payload["id"] == raw["id"].lower()


def test_same_instant_in_another_offset_has_the_same_fingerprint() -> None:
    base = make_event()
    shifted = {**base, "timestamp": "2024-05-01T11:00:00+02:00"}
    a, b = validate_event(base, LIMITS), validate_event(shifted, LIMITS)
    assert isinstance(a, Event) and isinstance(b, Event)
    assert content_hash(
        "k", stored_payload(base, a.id, a.timestamp.astimezone(UTC))
    ) == content_hash("k", stored_payload(shifted, b.id, b.timestamp.astimezone(UTC)))


json_values = any_json(30)
field_names = st.sampled_from(
    [
        "id",
        "type",
        "learner",
        "timestamp",
        "session",
        "activity",
        "skills",
        "result",
        "context",
        "properties",
        "zzz",
    ]
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(field_names, json_values, max_size=10) | json_values)
def test_validator_never_crashes_on_any_json(raw: Any) -> None:
    result = validate_event(raw, LIMITS)
    assert isinstance(result, Event) or all(isinstance(e, FieldError) for e in result)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {
            "result": st.fixed_dictionaries(
                {}, optional={"score": json_values, "duration_s": json_values}
            ),
            "activity": st.fixed_dictionaries({"id": json_values, "type": json_values}),
        }
    )
)
def test_nested_fields_never_crash(overrides: dict[str, Any]) -> None:
    result = validate_event(make_event(**overrides), LIMITS)
    # Either an event, or at least one error that names a field and says why.
    assert isinstance(result, Event) or (result and all(e.path and e.reason for e in result))
