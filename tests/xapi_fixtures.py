"""xAPI statements for tests: the Moodle logstore plugin's output (../shared/data/xapi/moodle)."""

from __future__ import annotations

import copy
import functools
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

MOODLE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "xapi" / "moodle"


def moodle_files() -> list[Path]:
    if not MOODLE_DIR.is_dir():
        pytest.skip(f"the Moodle xAPI statements are not at {MOODLE_DIR}")
    return sorted(MOODLE_DIR.glob("*.statements.json"))


def moodle_statements() -> list[tuple[str, dict[str, Any]]]:
    """(file stem, statement) for every statement of every file; skips the calling test when
    the data is not beside the checkout."""
    return [(stem, copy.deepcopy(s)) for stem, s in _read_moodle(tuple(moodle_files()))]


@functools.cache
def _read_moodle(paths: tuple[Path, ...]) -> tuple[tuple[str, dict[str, Any]], ...]:
    found = []
    for path in paths:
        for statement in json.loads(path.read_text()):
            found.append((path.name.removesuffix(".statements.json"), statement))
    return tuple(found)


def moodle_statement(stem: str, index: int = 0) -> dict[str, Any]:
    path = MOODLE_DIR / f"{stem}.statements.json"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    statement: dict[str, Any] = json.loads(path.read_text())[index]
    return statement


def simple_statement(
    verb: str = "http://adlnet.gov/expapi/verbs/completed",
    mbox: str = "mailto:ana@example.com",
    activity: str = "http://example.com/activities/lesson-1",
    **extra: Any,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": mbox, "name": "Ana"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"id": activity, "objectType": "Activity"},
    }
    statement.update(extra)
    return statement
