"""Build a Stride event (docs/events.md) on the client side; pure, stdlib only."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

MAX_ID_LENGTH = 256


def new_event_id() -> str:
    """A fresh random UUID4: the event's idempotency key."""
    return str(uuid.uuid4())


def format_timestamp(value: datetime | str | None, now: datetime | None = None) -> str:
    """RFC 3339 with an offset. Naive datetimes are refused: their instant is unknown."""
    if value is None:
        value = now if now is not None else datetime.now(UTC)
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamp must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.isoformat(timespec="microseconds")


def _identifier(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{name} must be a non-blank string of 1-{MAX_ID_LENGTH} characters")
    return value


def build_event(
    type: str,
    learner: str,
    *,
    event_id: str | None = None,
    activity: Mapping[str, Any] | None = None,
    result: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
    session: str | None = None,
    timestamp: datetime | str | None = None,
    skills: Sequence[str] | None = None,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The event as a JSON-ready dict; optional fields left out when None.

    Only the shape is checked here (types of the top-level fields, an aware timestamp, JSON
    serializability); the server validates the rest and reports it per event.
    """
    if not isinstance(type, str) or not type:
        raise ValueError("type must be a non-empty string such as 'activity.completed'")
    event: dict[str, Any] = {
        "id": str(uuid.UUID(event_id)) if event_id is not None else new_event_id(),
        "type": type,
        "learner": _identifier("learner", learner),
        "timestamp": format_timestamp(timestamp),
    }
    if session is not None:
        event["session"] = _identifier("session", session)
    if activity is not None:
        event["activity"] = dict(activity)
    if skills is not None:
        if isinstance(skills, str):
            raise ValueError("skills must be a list of skill ids, not a string")
        event["skills"] = list(skills)
    if result is not None:
        event["result"] = dict(result)
    if context is not None:
        event["context"] = dict(context)
    if properties is not None:
        event["properties"] = dict(properties)
    return event


def encode_event(event: Mapping[str, Any]) -> str:
    """Compact JSON; raises ValueError at track time for values JSON cannot hold."""
    try:
        return json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the event is not JSON-serializable: {exc}") from exc
