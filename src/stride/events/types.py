"""The event types Stride knows, and the rule for tenant-defined ones."""

from __future__ import annotations

import re

KNOWN_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "session.started",
        "session.ended",
        "activity.started",
        "activity.progressed",
        "activity.completed",
        "exercise.attempted",
        "assessment.submitted",
        "skill.acquired",
        "achievement.awarded",
        "goal.set",
        "goal.cancelled",
        "goal.met",
        "certificate.issued",
        "certificate.revoked",
        "enrollment.created",
        "enrollment.cancelled",
        "meeting.uploaded",
        "meeting.analyzed",
        "meeting.failed",
    }
)

# Tenant-defined types: `custom.` then one to four dot-separated lowercase words.
CUSTOM_EVENT_TYPE = r"custom(?:\.[a-z0-9][a-z0-9_-]{0,62}){1,4}"

# Types that count as one attempt at the activity they name.
ATTEMPT_EVENT_TYPES: frozenset[str] = frozenset({"exercise.attempted", "assessment.submitted"})

SESSION_EVENT_TYPES: frozenset[str] = frozenset({"session.started", "session.ended"})

ACTIVITY_TYPES: tuple[str, ...] = (
    "program",
    "course",
    "module",
    "lesson",
    "block",
    "exercise",
    "assessment",
    "meeting",
)


# One regular expression for the whole rule, so the schema checks it in pydantic-core.
EVENT_TYPE_PATTERN = (
    "^(?:"
    + "|".join(re.escape(name) for name in sorted(KNOWN_EVENT_TYPES))
    + f"|{CUSTOM_EVENT_TYPE})$"
)
