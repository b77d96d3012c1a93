"""What can be exported: each dataset's columns, their kinds, and which filters apply (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stride.errors import FieldError, NotFound


class DatasetName(StrEnum):
    EVENTS = "events"
    PROGRESS = "progress"
    SKILLS = "skills"
    ACHIEVEMENTS = "achievements"
    ENROLLMENTS = "enrollments"
    LEARNERS = "learners"
    DAYS = "days"
    POINTS = "points"
    GOALS = "goals"
    CERTIFICATES = "certificates"


class Kind(StrEnum):
    """How a column's values are typed in every format."""

    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    INSTANT = "instant"  # UTC, microseconds
    DATE = "date"
    JSON = "json"  # an object or array: nested in JSON Lines, JSON text in CSV and Parquet


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind


@dataclass(frozen=True)
class Dataset:
    """One exportable table. `time_column` is what `from`/`to` select on; `program_column`
    (None: no program filter) is matched against the program's part of the catalog."""

    name: str
    description: str
    columns: tuple[Column, ...]
    time_column: str
    program_column: str | None = None
    has_types: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def time_kind(self) -> Kind:
        """INSTANT, or DATE for a dataset of days or weeks (selected by day, not by instant)."""
        return next(c.kind for c in self.columns if c.name == self.time_column)


def _columns(*pairs: tuple[str, Kind]) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name, kind in pairs)


TEXT, INT, FLOAT, BOOL, INSTANT, DATE, JSON = (
    Kind.TEXT,
    Kind.INT,
    Kind.FLOAT,
    Kind.BOOL,
    Kind.INSTANT,
    Kind.DATE,
    Kind.JSON,
)

EVENTS = Dataset(
    "events",
    "The event log in log order, with the most used payload fields flattened",
    _columns(
        ("seq", INT),
        ("event_id", TEXT),
        ("learner_key", TEXT),
        ("type", TEXT),
        ("event_time", INSTANT),
        ("received_at", INSTANT),
        ("activity_id", TEXT),
        ("activity_type", TEXT),
        ("program", TEXT),
        ("score", FLOAT),
        ("success", BOOL),
        ("duration_s", FLOAT),
        ("payload", JSON),
    ),
    time_column="event_time",
    program_column="program",
    has_types=True,
)
PROGRESS = Dataset(
    "progress",
    "Each learner's progress per activity (learner_activities)",
    _columns(
        ("learner_key", TEXT),
        ("activity_id", TEXT),
        ("activity_type", TEXT),
        ("status", TEXT),
        ("attempts", INT),
        ("best_score", FLOAT),
        ("last_score", FLOAT),
        ("last_scored_at", INSTANT),
        ("time_spent_ms", INT),
        ("first_seen", INSTANT),
        ("last_seen", INSTANT),
        ("completed_at", INSTANT),
    ),
    time_column="last_seen",
    program_column="activity_id",
)
SKILLS = Dataset(
    "skills",
    "Each learner's mastery per skill (learner_skills)",
    _columns(
        ("learner_key", TEXT),
        ("skill_id", TEXT),
        ("p_mastery", FLOAT),
        ("attempts", INT),
        ("correct", INT),
        ("last_attempt_at", INSTANT),
        ("acquired_at", INSTANT),
        ("weekly", JSON),
    ),
    time_column="last_attempt_at",
    program_column="skill_id",
)
ACHIEVEMENTS = Dataset(
    "achievements",
    "Achievements awarded (learner_achievements)",
    _columns(
        ("learner_key", TEXT),
        ("achievement_id", TEXT),
        ("name", TEXT),
        ("points", INT),
        ("awarded_at", INSTANT),
        ("event_id", TEXT),
        ("evidence", JSON),
    ),
    time_column="awarded_at",
)
ENROLLMENTS = Dataset(
    "enrollments",
    "Enrollments in programs and courses (learner_enrollments)",
    _columns(
        ("learner_key", TEXT),
        ("activity_id", TEXT),
        ("activity_type", TEXT),
        ("status", TEXT),
        ("enrolled_at", INSTANT),
        ("target_date", DATE),
        ("cancelled_at", INSTANT),
        ("last_change_at", INSTANT),
    ),
    time_column="enrolled_at",
    program_column="activity_id",
)

LEARNERS = Dataset(
    "learners",
    "Each learner's totals and streaks (learner_stats)",
    _columns(
        ("learner_key", TEXT),
        ("events", INT),
        ("first_seen", INSTANT),
        ("last_active", INSTANT),
        ("active_days", INT),
        ("total_active_ms", INT),
        ("activities_completed", INT),
        ("activities_in_progress", INT),
        ("longest_streak", INT),
        # The run of active days that ends on last_active_day: the current streak while that
        # day is today or yesterday. The current streak itself depends on the export's clock
        # and on streak freezes, so it is left to the reader.
        ("last_streak", INT),
        ("last_active_day", DATE),
    ),
    time_column="last_active",
)
DAYS = Dataset(
    "days",
    "Each learner's activity per local day (learner_days)",
    _columns(
        ("learner_key", TEXT),
        ("day", DATE),
        ("events", INT),
        ("sessions", INT),
        ("active_ms", INT),
        ("activity_ms", INT),
        ("session_ms", INT),
    ),
    time_column="day",
)
POINTS = Dataset(
    "points",
    "Each learner's points per week (learner_points)",
    _columns(("learner_key", TEXT), ("week", DATE), ("points", INT)),
    time_column="week",
)
GOALS = Dataset(
    "goals",
    "Learners' goals, cancelled ones too (learner_goals)",
    _columns(
        ("learner_key", TEXT),
        ("goal_id", TEXT),
        ("kind", TEXT),
        ("target", INT),
        ("module", TEXT),
        ("due", DATE),
        ("created_at", INSTANT),
        ("updated_at", INSTANT),
        ("cancelled_at", INSTANT),
        ("set_event_id", TEXT),
        ("cancelled_event_id", TEXT),
    ),
    time_column="updated_at",
    program_column="module",
)
CERTIFICATES = Dataset(
    "certificates",
    "Certificates issued, revoked ones too (credentials)",
    _columns(
        ("learner_key", TEXT),
        ("credential_id", TEXT),
        ("program_id", TEXT),
        ("issued_at", INSTANT),
        ("valid_until", INSTANT),
        ("revoked_at", INSTANT),
        ("revocation_reason", TEXT),
        ("status_list_id", INT),
        ("status_index", INT),
    ),
    time_column="issued_at",
    program_column="program_id",
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        EVENTS,
        PROGRESS,
        SKILLS,
        ACHIEVEMENTS,
        ENROLLMENTS,
        LEARNERS,
        DAYS,
        POINTS,
        GOALS,
        CERTIFICATES,
    )
}
assert set(DATASETS) == {name.value for name in DatasetName}


def dataset_named(name: str) -> Dataset:
    """The dataset called `name`; NotFound (naming the known ones) otherwise."""
    found = DATASETS.get(name)
    if found is None:
        known = ", ".join(DATASETS)
        raise NotFound(
            f"No dataset {name!r}; Stride exports {known}.",
            [FieldError("dataset", f"one of {known}")],
        )
    return found
