"""Which rows an export holds: a UTC date range, a program, event types, a consent purpose.

Pure: checked here once, before any row is read, so a bad filter is refused up front and
never interrupts a stream half-way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stride.catalog.model import Catalog
from stride.errors import FieldError, InvalidInput
from stride.events.types import EVENT_TYPE_PATTERN
from stride.exports.datasets import Dataset
from stride.privacy.policy import Purpose

# Far enough either way for any learning record, and clear of the calendar's ends, where
# `to + 1 day` would overflow.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
# Purposes an export may serve: the everyday one, and research (opt-in by default).
EXPORT_PURPOSES = (Purpose.ANALYTICS, Purpose.RESEARCH)
MAX_TYPES = 50
_TYPE = re.compile(EVENT_TYPE_PATTERN)


@dataclass(frozen=True)
class ExportFilter:
    """`start` inclusive, `end` exclusive (the day after `to`); None: unbounded."""

    start: datetime | None = None
    end: datetime | None = None
    program: str | None = None
    types: tuple[str, ...] = ()
    purpose: Purpose = Purpose.ANALYTICS
    first_day: date | None = None
    last_day: date | None = None

    def describe(self) -> dict[str, Any]:
        """The filter as the audit log and the CLI show it."""
        return {
            "from": self.first_day.isoformat() if self.first_day else None,
            "to": self.last_day.isoformat() if self.last_day else None,
            "program": self.program,
            "types": list(self.types),
            "purpose": self.purpose.value,
        }


def parse_filter(
    dataset: Dataset,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    program: str | None = None,
    types: Sequence[str] = (),
    purpose: str = Purpose.ANALYTICS.value,
) -> ExportFilter:
    """Check the filters against the dataset; InvalidInput lists every problem."""
    errors: list[FieldError] = []
    for name, day in (("from", first_day), ("to", last_day)):
        if day is not None and not EARLIEST <= day <= LATEST:
            errors.append(FieldError(name, f"must lie between {EARLIEST} and {LATEST}"))
    if first_day and last_day and first_day > last_day and not errors:
        errors.append(FieldError("from", "must be on or before `to`"))
    if program is not None and dataset.program_column is None:
        errors.append(FieldError("program", f"{dataset.name} cannot be filtered by program"))
    elif program is not None and not (0 < len(program) <= 256 and program.isprintable()):
        reason = "must be an activity id of 1 to 256 characters, none a control character"
        errors.append(FieldError("program", reason))
    errors += _type_errors(dataset, types)
    allowed = {p.value: p for p in EXPORT_PURPOSES}
    if purpose not in allowed:
        errors.append(FieldError("purpose", f"one of {', '.join(allowed)}"))
    if errors:
        raise InvalidInput("The export's filters are not valid.", errors)
    return ExportFilter(
        start=_midnight(first_day) if first_day else None,
        end=_midnight(last_day + timedelta(days=1)) if last_day else None,
        program=program,
        types=tuple(dict.fromkeys(types)),
        purpose=allowed[purpose],
        first_day=first_day,
        last_day=last_day,
    )


def _type_errors(dataset: Dataset, types: Sequence[str]) -> list[FieldError]:
    if not types:
        return []
    if not dataset.has_types:
        return [FieldError("type", f"{dataset.name} has no event types; only events do")]
    if len(types) > MAX_TYPES:
        return [FieldError("type", f"at most {MAX_TYPES} types")]
    return [
        FieldError("type", f"{t!r} is not an event type (e.g. activity.completed)")
        for t in types
        if not _TYPE.fullmatch(t)
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class ProgramScope:
    """The program, every activity under it in the catalog, and the skills they train."""

    program: str
    activities: frozenset[str]
    skills: frozenset[str]


def program_scope(catalog: Catalog | None, program: str) -> ProgramScope:
    """The program's part of the catalog; just the program itself without one (events can
    still name it in `context.program`)."""
    if catalog is None or program not in catalog.activities:
        return ProgramScope(program, frozenset({program}), frozenset())
    under = [a for a in catalog.activities if a == program or program in catalog.ancestors(a)]
    skills = {skill for a in under for skill in catalog.skills_of(a)}
    return ProgramScope(program, frozenset(under), frozenset(skills))


def in_program(scope: ProgramScope, dataset: Dataset, row: Sequence[Any]) -> bool:
    """Whether a row (in the dataset's column order) belongs to the program: by its activity,
    module, program or skill; an event by its activity or the program its context names."""
    values = dict(zip(dataset.names, row, strict=True))
    column = dataset.program_column
    if column == "skill_id":
        return values["skill_id"] in scope.skills
    if column == "program":  # events
        return values["program"] == scope.program or values["activity_id"] in scope.activities
    # A goal without a module (weekly minutes, sessions) belongs to no program.
    return column is not None and values[column] in scope.activities
