"""Validate raw JSON events into `Event`s, reporting each problem with its field path."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from stride.errors import FieldError
from stride.events.rules import type_rule_errors
from stride.events.schema import (
    MAX_CONTEXT_EXTRA_KEYS,
    MAX_PROPERTY_KEY_LENGTH,
    Event,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ValidationLimits:
    now: datetime
    max_future_skew: timedelta
    latest: datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "latest", self.now + self.max_future_skew)


def field_path(location: tuple[str | int, ...]) -> str:
    """('result', 'score') -> 'result.score'; ('skills', 2) -> 'skills[2]'."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(event)"


# Our own validators of nested free-form data say where: "properties.a[2]: reason".
_NESTED_PATH = re.compile(r"^((?:properties|context)[^\s:]*): (.+)$", re.DOTALL)

# Pattern rules read better as words than as the regular expression they compile to.
_PATTERN_REASONS = {
    "id": "must be a UUID such as 5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69",
    "type": "unknown event type; use a documented type or custom.<name>",
    "learner": "must not be blank",
}

# Pydantic names union branches in the location (e.g. 'float'); readers want field names.
_TYPE_BRANCHES = {"str", "int", "float", "bool", "none", "constrained-str", ""}


def _field_error(error: Any) -> FieldError:
    location = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in _TYPE_BRANCHES))
    path = field_path(location)
    kind = error["type"]
    if kind == "extra_forbidden":
        return FieldError(path, "unknown field")
    if kind == "missing":
        return FieldError(path, "field required")
    if kind == "string_pattern_mismatch" and path in _PATTERN_REASONS:
        return FieldError(path, _PATTERN_REASONS[path])
    reason: str = error["msg"].removeprefix("Value error, ")
    nested = _NESTED_PATH.match(reason)
    if nested:
        return FieldError(nested.group(1), nested.group(2))
    return FieldError(path, reason)


def _limit_errors(event: Event, limits: ValidationLimits) -> list[FieldError]:
    """Rules that depend on the clock or count keys, checked after the schema."""
    errors = []
    # Compared in UTC: aware datetimes with one tzinfo object compare without utcoffset calls.
    instant = event.timestamp.astimezone(UTC)
    if instant > limits.latest:
        hours = limits.max_future_skew.total_seconds() / 3600
        errors.append(FieldError("timestamp", f"lies more than {hours:g} h in the future"))
    elif instant < EPOCH:
        errors.append(FieldError("timestamp", "lies before 1970"))
    extras = event.context.__pydantic_extra__ if event.context is not None else None
    if extras:
        if len(extras) > MAX_CONTEXT_EXTRA_KEYS:
            reason = f"at most {MAX_CONTEXT_EXTRA_KEYS} extra keys are allowed"
            errors.append(FieldError("context", reason))
        if any(len(key) > MAX_PROPERTY_KEY_LENGTH for key in extras):
            reason = f"has a key longer than {MAX_PROPERTY_KEY_LENGTH} characters"
            errors.append(FieldError("context", reason))
    errors.extend(type_rule_errors(event))
    return errors


def validate_event(raw: Any, limits: ValidationLimits) -> Event | list[FieldError]:
    """Return the validated event, or every field error found in it."""
    if not isinstance(raw, dict):
        return [FieldError("(event)", "an event must be a JSON object")]
    try:
        event = Event.model_validate(raw)
    except ValidationError as exc:
        return _merge_union_errors(
            [_field_error(e) for e in exc.errors(include_url=False, include_input=False)],
            [e["type"] for e in exc.errors(include_url=False, include_input=False)],
        )
    return _limit_errors(event, limits) or event


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "none_required": "null",
}


def _merge_union_errors(errors: list[FieldError], kinds: list[str]) -> list[FieldError]:
    """One error per path: a value that fits no branch of a union gets one reason, not four."""
    merged: dict[str, FieldError] = {}
    expected: dict[str, list[str]] = {}
    for error, kind in zip(errors, kinds, strict=True):
        if error.path in merged and kind in _EXPECTED:
            expected[error.path].append(_EXPECTED[kind])
            merged[error.path] = FieldError(
                error.path, "must be " + ", ".join(expected[error.path])
            )
        elif error.path not in merged:
            merged[error.path] = error
            expected[error.path] = [_EXPECTED[kind]] if kind in _EXPECTED else []
    return list(merged.values())


def utc_text(instant: datetime) -> str:
    """RFC 3339 text of a UTC instant, with Z."""
    return instant.isoformat()[:-6] + "Z"


def stored_payload(raw: dict[str, Any], event_id: str, instant: datetime) -> dict[str, Any]:
    """The event as kept in the log: as sent, but normalized and without the learner id.

    `raw` has passed validation with strict types, so its values are the validated ones; only
    the id's case and the timestamp's offset vary between equal events, and both are normalized.
    """
    payload = {k: v for k, v in raw.items() if v is not None and k != "learner"}
    payload["id"] = event_id.lower()
    payload["timestamp"] = utc_text(instant)
    return payload


def content_hash(learner_key: str, payload: dict[str, Any]) -> str:
    """Fingerprint of an event's content: equal for a resend, different for an edited event."""
    canonical = orjson.dumps([learner_key, payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
