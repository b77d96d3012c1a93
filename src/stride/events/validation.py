"""Validate raw JSON events into `Event`s, reporting each problem with its field path."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from stride.errors import FieldError
from stride.events.schema import Event


@dataclass(frozen=True)
class ValidationLimits:
    now: datetime
    max_future_skew: timedelta


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


def _reason(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "field required"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


def validate_event(raw: Any, limits: ValidationLimits) -> Event | list[FieldError]:
    """Return the validated event, or every field error found in it."""
    if not isinstance(raw, dict):
        return [FieldError("(event)", "an event must be a JSON object")]
    try:
        return Event.model_validate(
            raw, context={"now": limits.now, "max_future_skew": limits.max_future_skew}
        )
    except ValidationError as exc:
        errors: list[FieldError] = []
        for error in exc.errors(include_url=False, include_input=False):
            # Pydantic names union branches in the path (e.g. 'float'); readers want field names.
            location = tuple(p for p in error["loc"] if p not in _TYPE_BRANCHES)
            path, reason = field_path(location), _reason(error)
            nested = _NESTED_PATH.match(reason)
            if nested:
                path, reason = nested.group(1), nested.group(2)
            errors.append(FieldError(path, reason))
        return errors


_TYPE_BRANCHES = {"str", "int", "float", "bool", "none", "constrained-str", "function-after[", ""}


def stored_payload(event: Event) -> dict[str, Any]:
    """The event as kept in the log: normalized, UTC, and without the platform's learner id."""
    payload = event.model_dump(mode="json", exclude_none=True, exclude={"learner"})
    payload["timestamp"] = event.timestamp.isoformat().replace("+00:00", "Z")
    return payload


def content_hash(learner_key: str, payload: dict[str, Any]) -> str:
    """Fingerprint of an event's content: equal for a resend, different for an edited event."""
    canonical = orjson.dumps([learner_key, payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
