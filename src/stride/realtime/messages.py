"""The change feed's typed messages, and the pure mapping from log entries to them.

A message's `id` is the log seq of the (last) event it stands for, so a client resuming with
`Last-Event-ID` asks for the log after that seq. Messages that stand for no event (live
counters, `reset`, `dropped`) carry no id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PROGRESS_UPDATED = "progress.updated"
STREAK_CHANGED = "streak.changed"
SKILL_ACQUIRED = "skill.acquired"
ACHIEVEMENT_UNLOCKED = "achievement.unlocked"
GOAL_MET = "goal.met"
CERTIFICATE_ISSUED = "certificate.issued"
CERTIFICATE_REVOKED = "certificate.revoked"
COUNTERS = "counters"
RESET = "reset"
DROPPED = "dropped"

MESSAGE_TYPES: tuple[str, ...] = (
    PROGRESS_UPDATED,
    STREAK_CHANGED,
    SKILL_ACQUIRED,
    ACHIEVEMENT_UNLOCKED,
    GOAL_MET,
    CERTIFICATE_ISSUED,
    CERTIFICATE_REVOKED,
    COUNTERS,
    RESET,
    DROPPED,
)


@dataclass(frozen=True)
class FeedEntry:
    """One event of the log, as the change feed reads it."""

    seq: int
    tenant_id: str
    learner_key: str
    type: str
    received_at: datetime
    payload: Mapping[str, Any]

    @property
    def derived(self) -> bool:
        return self.payload.get("derived") is True


@dataclass(frozen=True)
class Message:
    """One message of the feed: `learner_key` None means tenant-wide (counters, control)."""

    type: str
    tenant_id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
    learner_key: str | None = None

    def body(self) -> dict[str, Any]:
        """The JSON object clients receive (SSE `data:`, a WebSocket text frame)."""
        body: dict[str, Any] = {"type": self.type}
        if self.id is not None:
            body["id"] = self.id
        if self.learner_key is not None:
            body["learner_key"] = self.learner_key
        body.update(self.data)
        return body


def _at(entry: FeedEntry) -> str | None:
    timestamp = entry.payload.get("timestamp")
    return timestamp if isinstance(timestamp, str) else None


def _properties(entry: FeedEntry) -> Mapping[str, Any]:
    properties = entry.payload.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _skill(entry: FeedEntry) -> dict[str, Any]:
    skills = entry.payload.get("skills") or [None]
    result = entry.payload.get("result")
    score = result.get("score") if isinstance(result, Mapping) else None
    return {"skill_id": skills[0], "score": score, "at": _at(entry)}


def _achievement(entry: FeedEntry) -> dict[str, Any]:
    p = _properties(entry)
    return {
        "achievement_id": p.get("achievement_id"),
        "name": p.get("name"),
        "points": p.get("points"),
        "at": _at(entry),
    }


def _goal(entry: FeedEntry) -> dict[str, Any]:
    p = _properties(entry)
    keys = ("goal_id", "kind", "period", "target", "actual", "module")
    return {**{key: p[key] for key in keys if key in p}, "at": _at(entry)}


def _certificate(entry: FeedEntry) -> dict[str, Any]:
    activity = entry.payload.get("activity")
    program = activity.get("id") if isinstance(activity, Mapping) else None
    p = _properties(entry)
    data = {"credential_id": p.get("credential_id"), "program_id": program, "at": _at(entry)}
    if "reason" in p:
        data["reason"] = p["reason"]
    return data


# Derived log event type -> (message type, its data).
_DERIVED: dict[str, tuple[str, Callable[[FeedEntry], dict[str, Any]]]] = {
    "skill.acquired": (SKILL_ACQUIRED, _skill),
    "achievement.awarded": (ACHIEVEMENT_UNLOCKED, _achievement),
    "goal.met": (GOAL_MET, _goal),
    "certificate.issued": (CERTIFICATE_ISSUED, _certificate),
    "certificate.revoked": (CERTIFICATE_REVOKED, _certificate),
}


def derived_message(entry: FeedEntry) -> Message | None:
    """The typed message of a derived event; None for an event that is not one."""
    if not entry.derived or entry.type not in _DERIVED:
        return None
    kind, data = _DERIVED[entry.type]
    return Message(kind, entry.tenant_id, data(entry), entry.seq, entry.learner_key)


@dataclass(frozen=True)
class LearnerBatch:
    """A learner's ordinary (not derived) events of one read of the log."""

    learner_key: str
    last_seq: int
    count: int
    types: tuple[str, ...]


def learner_batches(entries: Sequence[FeedEntry]) -> dict[tuple[str, str], LearnerBatch]:
    """Group ordinary events by (tenant, learner): one `progress.updated` each."""
    grouped: dict[tuple[str, str], LearnerBatch] = {}
    for entry in entries:
        if entry.derived:
            continue
        key = (entry.tenant_id, entry.learner_key)
        old = grouped.get(key)
        if old is None:
            grouped[key] = LearnerBatch(entry.learner_key, entry.seq, 1, (entry.type,))
        else:
            types = old.types if entry.type in old.types else (*old.types, entry.type)
            grouped[key] = LearnerBatch(entry.learner_key, entry.seq, old.count + 1, types)
    return grouped


def progress_message(
    tenant_id: str, batch: LearnerBatch, figures: Mapping[str, Any] | None
) -> Message:
    """`progress.updated` for a learner's batch, with their overall figures (None: unknown)."""
    data = {"new_events": batch.count, "event_types": list(batch.types)}
    return Message(
        PROGRESS_UPDATED,
        tenant_id,
        {**data, "progress": dict(figures) if figures is not None else None},
        batch.last_seq,
        batch.learner_key,
    )


def streak_message(
    tenant_id: str,
    batch: LearnerBatch,
    current: int,
    last_sent: MutableMapping[tuple[str, str], int],
) -> Message | None:
    """`streak.changed` when the learner's current streak differs from the value last sent
    for them (records the new value); None when it does not."""
    key = (tenant_id, batch.learner_key)
    previous = last_sent.get(key)
    last_sent[key] = current
    if previous == current:
        return None
    data = {"current": current, "previous": previous}
    return Message(STREAK_CHANGED, tenant_id, data, batch.last_seq, batch.learner_key)


def batch_messages(
    entries: Sequence[FeedEntry],
    figures: Mapping[tuple[str, str], Mapping[str, Any]],
    last_streaks: MutableMapping[tuple[str, str], int] | None = None,
) -> list[Message]:
    """The messages of one read of the log, in log order: derived events one each, ordinary
    events one `progress.updated` per learner (figures by (tenant, learner)) and, when
    `last_streaks` is given, `streak.changed` where the current streak moved."""
    messages = [m for m in map(derived_message, entries) if m is not None]
    for (tenant_id, learner), batch in learner_batches(entries).items():
        learner_figures = figures.get((tenant_id, learner))
        messages.append(progress_message(tenant_id, batch, learner_figures))
        streak = learner_figures.get("current_streak") if learner_figures else None
        if last_streaks is not None and isinstance(streak, int):
            changed = streak_message(tenant_id, batch, streak, last_streaks)
            if changed is not None:
                messages.append(changed)
    return sorted(messages, key=lambda m: m.id or 0)


def counters_message(
    tenant_id: str, events_per_second: float, active_learners: int, now: datetime
) -> Message:
    data = {
        "events_per_second": round(events_per_second, 2),
        "active_learners": active_learners,
        "at": now.isoformat(),
    }
    return Message(COUNTERS, tenant_id, data)


def reset_message(tenant_id: str, reason: str) -> Message:
    """Tells a resuming client that the log no longer holds what it missed: reload."""
    return Message(RESET, tenant_id, {"reason": reason})


def dropped_message(tenant_id: str, reason: str) -> Message:
    """The last message a subscriber that fell too far behind receives."""
    return Message(DROPPED, tenant_id, {"reason": reason})
