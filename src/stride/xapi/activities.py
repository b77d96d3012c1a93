"""The Activity object of GET /xapi/activities (pure): the richest definition stored for it.

Definitions are folded from the statements naming the activity, oldest first: a newer
statement's property replaces an older one, except language maps (name, description) and
extensions, which are merged entry by entry, so a definition sent in English by one tool and
in French by another is returned with both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_MERGED = ("name", "description", "extensions")


def merge_definitions(definitions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One definition from `definitions`, oldest first (later ones win per property)."""
    merged: dict[str, Any] = {}
    for definition in definitions:
        for key, value in definition.items():
            if key in _MERGED and isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def activity_of(activity_id: str, statements: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The Activity `activity_id` as `statements` (oldest first) define it.

    Only statements whose object is that activity count. With no definition the Activity has
    only its id: xAPI asks the LRS to answer with an Activity object all the same.
    """
    definitions = []
    for statement in statements:
        target = statement.get("object")
        if (
            isinstance(target, dict)
            and target.get("objectType", "Activity") == "Activity"
            and target.get("id") == activity_id
            and isinstance(target.get("definition"), dict)
        ):
            definitions.append(target["definition"])
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    definition = merge_definitions(definitions)
    if definition:
        activity["definition"] = definition
    return activity
