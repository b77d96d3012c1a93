"""Fold enrollment events into the learners' enrollments read model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from stride.events.recorded import RecordedEvent
from stride.events.rules import ENROLLMENT_EVENT_TYPES
from stride.progress.enrollment import Enrollment, apply_to_enrollment
from stride.store.enrollments import load_enrollments, save_enrollments


def project_enrollments(
    connection: Connection, tenant_id: str, by_learner: Mapping[str, Sequence[RecordedEvent]]
) -> None:
    changes: dict[tuple[str, str], list[RecordedEvent]] = defaultdict(list)
    for key, learner_events in by_learner.items():
        for event in learner_events:
            if event.type in ENROLLMENT_EVENT_TYPES and event.activity_id is not None:
                changes[(key, event.activity_id)].append(event)
    if not changes:
        return
    stored = load_enrollments(connection, tenant_id, changes.keys())
    changed: list[Enrollment] = []
    for pair, pair_events in changes.items():
        state = stored.get(pair)
        result = state
        for event in pair_events:
            result = apply_to_enrollment(result, event)
        if result is not None and result != state:
            changed.append(result)
    save_enrollments(connection, tenant_id, changed)
