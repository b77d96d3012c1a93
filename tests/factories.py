"""Builders for raw events as a platform would send them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

BASE_TIME = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "exercise.attempted",
        "learner": "learner-1",
        "timestamp": BASE_TIME.isoformat().replace("+00:00", "Z"),
        "activity": {"id": "course-1/ex-1", "type": "exercise"},
        "result": {"score": 0.8, "success": True, "duration_s": 60},
    }
    event.update(overrides)
    return {key: value for key, value in event.items() if value is not None}


def at(days: float = 0, hours: float = 0) -> str:
    return (BASE_TIME + timedelta(days=days, hours=hours)).isoformat()
