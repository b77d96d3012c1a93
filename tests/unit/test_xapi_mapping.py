"""xAPI statement -> Stride event: verbs, actors, results, context hints, on Moodle's output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.events.validation import ValidationLimits, validate_event
from stride.xapi.identifiers import agent_learner_id, event_id_for
from stride.xapi.mapping import (
    activity_type_for,
    duration_seconds,
    event_type_for,
    score_of,
    statement_to_event,
)
from tests.xapi_fixtures import moodle_statement, moodle_statements, simple_statement

STATEMENT_ID = "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69"
LIMITS = ValidationLimits(datetime(2030, 1, 1, tzinfo=UTC), timedelta(hours=24))


def _stored(statement: dict[str, Any]) -> dict[str, Any]:
    return {"id": STATEMENT_ID, "timestamp": "2024-05-01T09:30:00Z", **statement}


def test_every_moodle_statement_maps_to_a_valid_stride_event() -> None:
    for stem, statement in moodle_statements():
        event = statement_to_event(_stored(statement))
        assert event is not None, stem
        assert not isinstance(validate_event(event, LIMITS), list), (stem, event)
        assert event["learner"].startswith("account:http:%2F%2Fwww.example.org|")  # not the name
        assert "test_fullname" not in repr(event)


def test_a_moodle_quiz_attempt_completes_its_quiz_with_its_score() -> None:
    statement = moodle_statement("mod_quiz__attempt_submitted__no_questions")
    event = statement_to_event(_stored(statement))
    assert event is not None
    assert event["type"] == "activity.completed"
    # The attempt stands for the quiz it is an attempt at.
    assert event["activity"] == {
        "id": "http://www.example.org/mod/quiz/view.php?id=1",
        "type": "assessment",
    }
    assert event["result"] == {"score": 0.0, "success": True, "completion": True, "duration_s": 1}
    assert event["context"]["course"] == "http://www.example.org/course/view.php?id=2"
    assert event["context"]["module"] == "http://www.example.org/course/section.php?id=1"
    assert event["properties"]["xapi"]["statement"] == STATEMENT_ID
    assert event["id"] == event_id_for(STATEMENT_ID) != STATEMENT_ID


@pytest.mark.parametrize(
    ("verb", "expected"),
    [
        ("http://adlnet.gov/expapi/verbs/completed", "activity.completed"),
        ("http://adlnet.gov/expapi/verbs/passed", "assessment.submitted"),
        ("http://adlnet.gov/expapi/verbs/failed", "assessment.submitted"),
        ("http://adlnet.gov/expapi/verbs/answered", "exercise.attempted"),
        ("http://adlnet.gov/expapi/verbs/attempted", "activity.started"),
        ("http://adlnet.gov/expapi/verbs/experienced", "activity.progressed"),
        ("http://adlnet.gov/expapi/verbs/progressed", "activity.progressed"),
        ("http://adlnet.gov/expapi/verbs/initialized", "session.started"),
        ("http://adlnet.gov/expapi/verbs/terminated", "session.ended"),
        ("http://adlnet.gov/expapi/verbs/launched", "activity.started"),
        ("https://w3id.org/xapi/tla/verbs/scored", "assessment.submitted"),
        ("http://id.tincanapi.com/verb/viewed", "activity.progressed"),
        ("http://example.com/verbs/Bookmarked", "custom.xapi.bookmarked"),
        ("http://activitystrea.ms/schema/1.0/review#slot", "custom.xapi.slot"),
        ("urn:x:%%%", "custom.xapi.other"),
    ],
)
def test_verbs_map_to_event_types(verb: str, expected: str) -> None:
    assert event_type_for(verb) == expected


@given(st.text(min_size=1, max_size=300))
def test_any_verb_gives_a_valid_type(word: str) -> None:
    statement = _stored(simple_statement(verb=f"http://example.com/verbs/{word}"))
    event = statement_to_event(statement)
    assert event is not None
    assert not isinstance(validate_event(event, LIMITS), list)


def test_passed_and_failed_say_success_when_the_result_does_not() -> None:
    passed = statement_to_event(_stored(simple_statement("http://adlnet.gov/expapi/verbs/passed")))
    failed = statement_to_event(_stored(simple_statement("http://adlnet.gov/expapi/verbs/failed")))
    assert passed is not None and passed["result"] == {"success": True}
    assert failed is not None and failed["result"] == {"success": False}


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ({"mbox": "mailto:Ana@Example.COM", "name": "Ana"}, "mbox:mailto:Ana@example.com"),
        ({"mbox_sha1sum": "A" * 40}, "mbox_sha1sum:" + "a" * 40),
        ({"openid": "http://id.example.com/ana"}, "openid:http:%2F%2Fid.example.com%2Fana"),
        ({"account": {"homePage": "http://lms", "name": "7|%"}}, "account:http:%2F%2Flms|7%7C%25"),
        ({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}, None),
    ],
)
def test_learner_ids_come_from_the_inverse_functional_identifier(
    agent: dict[str, Any], expected: str | None
) -> None:
    assert agent_learner_id(agent) == expected


def test_a_long_identifier_is_hashed_to_fit() -> None:
    learner = agent_learner_id({"account": {"homePage": "http://lms", "name": "x" * 400}})
    assert learner is not None and learner.startswith("sha256:") and len(learner) == 71


def test_statements_without_a_learner_or_voiding_make_no_event() -> None:
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}
    assert statement_to_event(_stored(simple_statement(actor=group))) is None
    voiding = simple_statement(
        "http://adlnet.gov/expapi/verbs/voided",
        object={"objectType": "StatementRef", "id": STATEMENT_ID},
    )
    assert statement_to_event(_stored(voiding)) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1S", 1),
        ("PT1M30S", 90),
        ("PT1.5S", 1.5),
        ("P1DT1H", 90000),
        ("P1W", 604800),
        ("PT0S", 0),
        ("P", None),
        ("PT", None),
        ("1S", None),
        ("P1DT", None),
    ],
)
def test_durations(text: str, seconds: float | None) -> None:
    assert duration_seconds(text) == seconds


def test_a_duration_beyond_a_week_is_kept_as_sent_but_not_counted() -> None:
    statement = _stored(simple_statement(result={"duration": "P30D"}))
    event = statement_to_event(statement)
    assert event is not None
    assert "duration_s" not in event.get("result", {})
    assert event["properties"]["xapi"]["duration"] == "P30D"


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ({"scaled": 0.5}, 0.5),
        ({"scaled": -0.5}, 0.0),
        ({"raw": 30, "min": 0, "max": 40}, 0.75),
        ({"raw": 30, "max": 40}, 0.75),
        ({"raw": 5, "min": 5, "max": 5}, None),
        ({"raw": 3}, None),
        ({}, None),
    ],
)
def test_scores(score: dict[str, Any], expected: float | None) -> None:
    assert score_of(score) == expected


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        ("http://adlnet.gov/expapi/activities/course", "course"),
        ("https://w3id.org/xapi/cmi5/activitytype/course", "course"),
        ("http://adlnet.gov/expapi/activities/module", "module"),
        ("http://adlnet.gov/expapi/activities/lesson", "lesson"),
        ("http://adlnet.gov/expapi/activities/assessment", "assessment"),
        ("http://adlnet.gov/expapi/activities/cmi.interaction", "exercise"),
        ("http://adlnet.gov/expapi/activities/meeting", "meeting"),
        ("http://id.tincanapi.com/activitytype/lms/program", "program"),
        ("http://adlnet.gov/expapi/activities/media", "block"),
        (None, "block"),
    ],
)
def test_activity_types(iri: str | None, expected: str) -> None:
    assert activity_type_for(iri) == expected


def test_timestamp_without_zone_is_utc_and_enrollment_needs_a_course() -> None:
    statement = simple_statement(
        "http://adlnet.gov/expapi/verbs/registered", timestamp="2024-05-01T09:30:00"
    )
    event = statement_to_event({**statement, "id": STATEMENT_ID})
    assert event is not None
    assert event["timestamp"] == "2024-05-01T09:30:00.000Z"
    assert event["type"] == "custom.xapi.created"  # a lesson is not enrollable
    course = {
        "id": "http://example.com/c",
        "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
    }
    enrolled = statement_to_event(_stored({**statement, "object": course}))
    assert enrolled is not None and enrolled["type"] == "enrollment.created"
