"""What an import file holds (detected by name, then content) and xAPI statements as events."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from stride.errors import InvalidInput
from stride.importing.csv_mapping import MappingSpec
from stride.importing.readers import Position
from stride.importing.sources import Format, open_source, statement_event, stride_event
from stride.xapi.identifiers import event_id_for

MOODLE = Path(__file__).parents[3] / "shared" / "data" / "xapi" / "moodle"
EVENT = b'{"id": "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69", "learner": "ana"}'
STATEMENT: dict[str, Any] = {
    "id": "9d3b6c1a-1e2f-4a5b-8c7d-0e1f2a3b4c5d",
    "actor": {"mbox": "mailto:ana@Example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://lms.example.org/course/7", "objectType": "Activity"},
    "timestamp": "2024-05-01T09:30:00Z",
}


def _source(name: str, data: bytes, requested: Format = Format.AUTO) -> str:
    return open_source(Path(name), io.BytesIO(data), requested, MappingSpec()).name


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.jsonl", EVENT + b"\n" + EVENT, "jsonl"),
        ("a.ndjson", EVENT, "jsonl"),
        ("a.json", b"[" + EVENT + b"]", "json"),
        ("a.json", EVENT + b"\n" + EVENT, "jsonl"),  # by content: one object per line
        ("a.json", b'{\n  "id": "x"\n}', "json"),  # one object over several lines
        ("a.txt", b"  [" + EVENT + b"]", "json"),
        ("a.log", EVENT + b"\n", "jsonl"),
        ("export", b"learner,type,timestamp\n", "csv"),
        ("a.jsonl", orjson.dumps(STATEMENT), "xapi-jsonl"),
        ("a.json", orjson.dumps([STATEMENT]), "xapi-json"),
        ("a.json", b"[" + EVENT + b"]", "json"),
        ("export", orjson.dumps({"statements": [STATEMENT], "more": ""}), "xapi-json"),
        ("body.json", b'{"events": [' + EVENT + b"]}", "json"),
    ],
)
def test_format_by_name_then_content(name: str, data: bytes, expected: str) -> None:
    assert _source(name, data) == expected


def test_an_explicit_format_wins() -> None:
    assert _source("a.csv", b"[" + EVENT + b"]", Format.JSON) == "json"
    assert _source("a.json", b"[" + EVENT + b"]", Format.XAPI) == "xapi-json"
    assert _source("a.txt", EVENT, Format.XAPI) == "xapi-jsonl"
    assert _source("a.jsonl", orjson.dumps(STATEMENT), Format.JSONL) == "jsonl"


def test_csv_needs_a_header_and_a_valid_mapping() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        _source("a.csv", b"")
    with pytest.raises(InvalidInput) as caught:
        _source("a.csv", b"user,when\n")
    assert {e.path for e in caught.value.errors} == {"type", "learner", "timestamp"}


def test_tsv_rows_are_read_after_the_header() -> None:
    data = b"learner\ttype\ttimestamp\nana\tactivity.completed\t2024-05-01T09:30:00Z\n"
    stream = io.BytesIO(data)
    source = open_source(Path("a.tsv"), stream, Format.AUTO, MappingSpec())
    [record] = list(source.read(stream, source.first))
    event = source.convert(record.value)
    assert isinstance(event, dict) and event["learner"] == "ana"


def test_stride_events_go_to_the_pipeline_as_they_are() -> None:
    assert stride_event({"any": "thing"}) == {"any": "thing"}


def test_a_statement_becomes_the_event_the_lrs_would_make() -> None:
    event = statement_event(STATEMENT)
    assert isinstance(event, dict)
    assert event["id"] == event_id_for(STATEMENT["id"])
    assert event["type"] == "activity.completed"
    assert event["learner"] == "mbox:mailto:ana@example.org"


def test_statements_without_id_or_timestamp() -> None:
    without_id = {k: v for k, v in STATEMENT.items() if k != "id"}
    first, again = statement_event(without_id), statement_event(dict(without_id))
    assert isinstance(first, dict) and isinstance(again, dict)
    assert first["id"] == again["id"]  # derived from the content: a re-import is a duplicate
    stored = {**without_id, "stored": "2024-05-02T10:00:00Z"}
    del stored["timestamp"]
    from_stored = statement_event(stored)
    assert isinstance(from_stored, dict) and from_stored["timestamp"].startswith("2024-05-02")
    del stored["stored"]
    errors = statement_event(stored)
    assert isinstance(errors, list) and [e.path for e in errors] == ["timestamp"]


def test_bad_statements_are_refused_with_their_fields() -> None:
    errors = statement_event({"actor": "ana", "object": {}, "timestamp": "x"})
    assert isinstance(errors, list)
    assert [e.path for e in errors] == ["verb", "actor", "object.id", "timestamp"]  # as the LRS
    assert statement_event([1]) == statement_event("x")
    member = {"mbox": "mailto:ben@example.org"}
    anonymous = {**STATEMENT, "actor": {"objectType": "Group", "member": [member]}}
    no_learner = statement_event(anonymous)
    assert isinstance(no_learner, list) and no_learner[0].path == "actor"


def test_voiding_statements_are_skipped() -> None:
    voiding = {
        **STATEMENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": STATEMENT["id"]},
    }
    assert statement_event(voiding) is None


@pytest.mark.skipif(not MOODLE.is_dir(), reason="the Moodle statements are not here")
def test_moodle_statement_files_read_as_xapi() -> None:
    path = next(iter(sorted(MOODLE.glob("mod_quiz__attempt_submitted__*.json"))))
    data = path.read_bytes()
    source = open_source(path, io.BytesIO(data), Format.AUTO, MappingSpec())
    assert source.name == "xapi-json"
    records = list(source.read(io.BytesIO(data), Position()))
    assert records
    for record in records:  # the Moodle examples carry no timestamp: an export would
        event = source.convert({**record.value, "timestamp": "2024-05-01T09:30:00Z"})
        assert isinstance(event, dict), event
