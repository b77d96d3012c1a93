"""Which numbers and groups of an event the metrics rollups keep (pure).

Numeric fields: `result.score`, `result.duration_s`, and numeric properties
(`properties.<path>`, nested keys joined by dots; booleans and lists are not numbers), at most
MAX_NUMERIC_PROPERTIES per event (the first in path order). Breakdown groups: `platform`
(context.platform) and string or boolean properties, at most MAX_LABELS per event (the first in
path order), values up to MAX_LABEL_LENGTH characters, IDENTIFIER_PATHS excepted. Values whose
magnitude exceeds histograms.MAX_MAGNITUDE, and paths longer than MAX_PATH_LENGTH, are not
rolled up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stride.analytics.histograms import MAX_MAGNITUDE
from stride.events.recorded import RecordedEvent

MAX_NUMERIC_PROPERTIES = 10
MAX_LABELS = 5
MAX_LABEL_LENGTH = 100
MAX_PATH_LENGTH = 200
EVENTS_FIELD = ""  # the event itself: count only
PLATFORM = "platform"
RESULT_FIELDS = ("result.score", "result.duration_s")
# Properties that identify one statement, or one learner's attempt, rather than a group of
# learners (stride.xapi.mapping): as groups they would each hold one event or one learner,
# compare nothing, and multiply the rollups' rows (a fifth of an xAPI event's).
IDENTIFIER_PATHS = frozenset({"properties.xapi.statement", "properties.xapi.registration"})


def numeric_fields(event: RecordedEvent) -> list[tuple[str, float]]:
    """(field path, value) of every number of the event that is rolled up."""
    found: list[tuple[str, float]] = []
    for name, value in (("result.score", event.score), ("result.duration_s", event.duration_s)):
        if value is not None:
            found.append((name, float(value)))
    numbers = sorted(
        (path, float(value))
        for path, value in _leaves(event.properties, "properties")
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) <= MAX_MAGNITUDE
        and len(path) <= MAX_PATH_LENGTH
    )
    found.extend(numbers[:MAX_NUMERIC_PROPERTIES])
    return found


def breakdown_groups(event: RecordedEvent) -> list[tuple[str, str]]:
    """(dimension, value) of every group the event counts in, besides the whole ("", "")."""
    groups: list[tuple[str, str]] = []
    if event.platform is not None and len(event.platform) <= MAX_LABEL_LENGTH:
        groups.append((PLATFORM, event.platform))
    labels = sorted(
        (path, _label(value))
        for path, value in _leaves(event.properties, "properties")
        if isinstance(value, str | bool)
        and len(path) <= MAX_PATH_LENGTH
        and path not in IDENTIFIER_PATHS
        and len(_label(value)) <= MAX_LABEL_LENGTH
    )
    groups.extend(labels[:MAX_LABELS])
    return groups


def _label(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif not isinstance(value, list) and path != "properties":
        yield path, value
