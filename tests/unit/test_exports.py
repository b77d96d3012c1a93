"""Exports, the pure parts: filters, program scopes, writers and events as xAPI statements."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stride.catalog import parse_catalog
from stride.errors import InvalidInput, NotFound
from stride.exports.datasets import DATASETS, ENROLLMENTS, EVENTS, Column, Dataset, Kind
from stride.exports.datasets import dataset_named as named
from stride.exports.filters import in_program, parse_filter, program_scope
from stride.exports.service import ChunkBuffer
from stride.exports.writers import ROW_GROUP_ROWS, ExportFormat, open_writer
from stride.privacy.policy import Purpose
from stride.xapi.from_events import VERBS, activity_iri, duration_text, statement_from_event
from stride.xapi.mapping import statement_to_event
from stride.xapi.validation import V1, V2, statement_errors
from tests.catalogs import small_catalog

ALL_KINDS = Dataset(
    "kinds",
    "every kind of column",
    tuple(Column(kind.value, kind) for kind in Kind),
    time_column="instant",
)
AWKWARD_ROWS: list[tuple[Any, ...]] = [
    (
        'comma, "quote"\nnew line; é ✓',
        -(2**53),
        0.1 + 0.2,
        True,
        datetime(2024, 5, 1, 9, 30, 0, 123456, tzinfo=UTC),
        date(1900, 1, 1),
        {"a": [1, 2.5, None, "x"], "b": {"c": False}},
    ),
    ("x", 0, 1e-300, False, datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC), date(2999, 12, 31), []),
    (None, None, None, None, None, None, None),
]


def _write(export_format: ExportFormat, dataset: Dataset, pages: list[list[Any]]) -> bytes:
    sink = ChunkBuffer()
    writer = open_writer(export_format, dataset, sink, base_iri="https://stride.example.org")
    for page in pages:
        writer.write(page)
    writer.close()
    return sink.drain()


def _json_lines(data: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in data.splitlines()]


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_every_format_carries_the_same_values() -> None:
    lines = _json_lines(_write(ExportFormat.JSONL, ALL_KINDS, [AWKWARD_ROWS]))
    assert lines[0]["instant"] == "2024-05-01T09:30:00.123456Z"
    assert lines[1]["instant"] == "2999-12-31T23:59:59Z"
    assert lines[0]["json"]["a"] == [1, 2.5, None, "x"] and lines[0]["float"] == 0.1 + 0.2

    reader = csv.DictReader(
        io.StringIO(_write(ExportFormat.CSV, ALL_KINDS, [AWKWARD_ROWS]).decode())
    )
    decode = {"int": int, "float": float, "bool": {"true": True, "false": False}.__getitem__}
    from_csv = [
        {
            k: None if v == "" else orjson.loads(v) if k == "json" else decode.get(k, str)(v)
            for k, v in row.items()
        }
        for row in reader
    ]
    assert from_csv == lines

    table = pq.read_table(io.BytesIO(_write(ExportFormat.PARQUET, ALL_KINDS, [AWKWARD_ROWS])))
    assert table.schema.field("instant").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("int").type == pa.int64()
    assert table.schema.field("json").metadata == {b"stride.kind": b"json"}
    from_parquet = [
        {
            k: None
            if v is None
            else orjson.loads(v)
            if k == "json"
            else _instant(v)
            if isinstance(v, datetime)
            else v.isoformat()
            if isinstance(v, date)
            else v
            for k, v in row.items()
        }
        for row in table.to_pylist()
    ]
    assert from_parquet == lines


def test_parquet_writes_row_groups_and_a_readable_empty_file() -> None:
    small = Dataset("n", "numbers", (Column("n", Kind.INT),), time_column="n")
    pages = [[(i,) for i in range(start, start + 5000)] for start in range(0, 45_000, 5000)]
    data = _write(ExportFormat.PARQUET, small, pages)
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.num_rows == 45_000
    assert parquet.metadata.num_row_groups == -(-45_000 // ROW_GROUP_ROWS)
    assert parquet.read().column("n").to_pylist() == list(range(45_000))
    empty = pq.read_table(io.BytesIO(_write(ExportFormat.PARQUET, EVENTS, [])))
    assert empty.num_rows == 0 and empty.schema.names == list(EVENTS.names)
    assert _write(ExportFormat.CSV, EVENTS, []).decode().strip() == ",".join(EVENTS.names)


def test_filters_are_checked_before_any_row_is_read() -> None:
    where = parse_filter(
        EVENTS,
        first_day=date(2024, 5, 1),
        last_day=date(2024, 5, 31),
        types=["activity.completed", "activity.completed"],
        purpose="research",
    )
    assert where.start == datetime(2024, 5, 1, tzinfo=UTC)
    assert where.end == datetime(2024, 6, 1, tzinfo=UTC), "`to` is inclusive"
    assert where.types == ("activity.completed",) and where.purpose is Purpose.RESEARCH
    assert where.describe()["from"] == "2024-05-01"
    assert parse_filter(EVENTS, last_day=date(2999, 12, 31)).end == datetime(3000, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput) as caught:
        parse_filter(
            ENROLLMENTS,
            first_day=date(1, 1, 1),
            last_day=date(9999, 12, 31),
            types=["activity.completed"],
            purpose="leaderboard",
        )
    assert [e.path for e in caught.value.errors] == ["from", "to", "type", "purpose"]
    with pytest.raises(InvalidInput):
        parse_filter(EVENTS, first_day=date(2024, 5, 2), last_day=date(2024, 5, 1))
    with pytest.raises(InvalidInput):
        parse_filter(named("achievements"), program="prog")
    with pytest.raises(NotFound):
        named("learners-with-names")


def test_program_scope_follows_the_catalog() -> None:
    catalog = parse_catalog(small_catalog())
    scope = program_scope(catalog, "prog")
    assert {"prog", "prog/c1", "prog/c1/m1", "prog/c1/m1/ex1"} <= scope.activities
    assert "planning" in scope.skills
    events, skills = DATASETS["events"], DATASETS["skills"]

    def event(activity: str | None, program: str | None) -> tuple[Any, ...]:
        values = dict.fromkeys(events.names)
        values.update(activity_id=activity, program=program)
        return tuple(values.values())

    assert in_program(scope, events, event("prog/c1/m1/ex1", None))
    assert in_program(scope, events, event(None, "prog"))
    assert not in_program(scope, events, event("elsewhere", "other"))
    assert in_program(scope, skills, ("k", "planning", *[None] * 6))
    bare = program_scope(None, "prog")  # no catalog: the program itself only
    assert bare.activities == {"prog"} and not bare.skills


def _row(dataset: Dataset, **values: Any) -> tuple[Any, ...]:
    return tuple(values.get(name) for name in dataset.names)


def test_goals_and_certificates_belong_to_a_program_by_their_module_or_program() -> None:
    scope = program_scope(parse_catalog(small_catalog()), "prog/c1")
    goals, certificates = DATASETS["goals"], DATASETS["certificates"]
    assert in_program(scope, goals, _row(goals, module="prog/c1/m2"))
    assert not in_program(scope, goals, _row(goals, module=None))  # a weekly goal: no program
    assert not in_program(scope, goals, _row(goals, module="elsewhere"))
    assert in_program(scope, certificates, _row(certificates, program_id="prog/c1"))
    assert not in_program(scope, certificates, _row(certificates, program_id="prog"))
    for name in ("learners", "days", "points"):
        with pytest.raises(InvalidInput) as caught:
            parse_filter(named(name), program="prog")
        assert [e.path for e in caught.value.errors] == ["program"]


def test_date_datasets_select_on_the_days_themselves() -> None:
    for name, column in (("days", "day"), ("points", "week")):
        assert named(name).time_column == column and named(name).time_kind is Kind.DATE
    assert named("certificates").time_kind is Kind.INSTANT
    where = parse_filter(named("days"), first_day=date(2024, 5, 1), last_day=date(2024, 5, 1))
    assert (where.first_day, where.last_day) == (date(2024, 5, 1), date(2024, 5, 1))


def _statement(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    moment = datetime(2024, 5, 1, 9, 30, 0, 250000, tzinfo=UTC)
    return statement_from_event(
        event_id="6f8d1a2e-5b1c-4e8f-9a3d-1c2b3d4e5f60",
        learner_key="a1b2c3",
        event_type=event_type,
        timestamp=moment,
        stored=moment,
        payload={"type": event_type, **payload},
        base_iri="https://stride.example.org/",
    )


ACTIVITY = {"id": "course-1/ex 1", "type": "exercise"}
COURSE = {"id": "course-1", "type": "course"}  # Stride enrolls in programs and courses only


@pytest.mark.parametrize(
    ("event_type", "payload", "verb"),
    [
        *[
            (t, {"activity": COURSE if t.startswith("enrollment.") else ACTIVITY}, v)
            for t, v in VERBS.items()
        ],
        ("assessment.submitted", {"result": {"success": True}}, "passed"),
        ("assessment.submitted", {"result": {"success": False}}, "failed"),
        ("assessment.submitted", {"result": {"score": 0.5}}, "scored"),
        ("goal.set", {"properties": {"goal": "g1"}}, "goal.set"),
        ("achievement.awarded", {"derived": True}, "achievement.awarded"),
        ("custom.forum.posted", {"properties": {"tags": [None]}}, "custom.forum.posted"),
    ],
)
def test_every_event_type_becomes_a_valid_statement(
    event_type: str, payload: dict[str, Any], verb: str
) -> None:
    statement = _statement(event_type, payload)
    assert statement_errors(statement, V1) == [] and statement_errors(statement, V2) == []
    assert statement["verb"]["id"].endswith(verb)
    assert statement["actor"]["account"] == {
        "homePage": "https://stride.example.org",
        "name": "a1b2c3",
    }
    assert statement["timestamp"] == "2024-05-01T09:30:00.250000Z"
    back = statement_to_event(statement)
    assert back is not None
    if event_type in VERBS or event_type == "assessment.submitted":
        assert back["type"] == event_type


def test_statement_keeps_result_context_and_what_xapi_has_no_place_for() -> None:
    statement = _statement(
        "exercise.attempted",
        {
            "activity": ACTIVITY,
            "session": "s1",
            "skills": ["planning"],
            "result": {"score": 1, "success": True, "duration_s": 12.345, "response": "b"},
            "context": {"program": "p", "course": "course-1", "platform": "web", "attempt": 2},
            "properties": {"xapi": {"statement": "not-a-uuid"}, "hint": True},
        },
    )
    assert statement["object"]["id"] == "https://stride.example.org/activities/course-1%2Fex%201"
    assert statement["result"] == {
        "score": {"scaled": 1},
        "success": True,
        "duration": "PT12.35S",
        "response": "b",
    }
    context = statement["context"]
    assert [a["id"].rsplit("/", 1)[-1] for a in context["contextActivities"]["grouping"]] == [
        "course-1",
        "p",
    ]
    assert context["platform"] == "web"
    extensions = {k.rsplit("/", 1)[-1]: v for k, v in context["extensions"].items()}
    assert extensions == {
        "event-type": "exercise.attempted",
        "session": "s1",
        "skills": ["planning"],
        "context": {"attempt": 2},
        "properties": {"hint": True},
    }
    assert statement["id"] == "6f8d1a2e-5b1c-4e8f-9a3d-1c2b3d4e5f60", "not a UUID: the event's"
    back = statement_to_event(statement)
    assert back is not None
    base = "https://stride.example.org/activities/"
    assert back["context"] == {
        "program": base + "p",
        "course": base + "course-1",
        "platform": "web",
    }
    assert back["result"]["duration_s"] == pytest.approx(12.35)


def test_iris_and_durations() -> None:
    assert activity_iri("http://lms.example.com/a", "https://s") == "http://lms.example.com/a"
    assert activity_iri("lesson:1", "https://s/") == "https://s/activities/lesson%3A1"
    assert duration_text(60) == "PT60S" and duration_text(0) == "PT0S"
    assert duration_text(604800.0) == "PT604800S" and duration_text(0.005) == "PT0.01S"
