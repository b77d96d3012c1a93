"""The pure rules of the xAPI document resources: ETags, preconditions, merge, parameters,
the Person and Activity objects."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
import pytest

from stride.errors import Conflict
from stride.xapi.activities import activity_of, merge_definitions
from stride.xapi.agents import person_of
from stride.xapi.document_params import parse_document_params
from stride.xapi.documents import (
    DocumentKind,
    InvalidDocumentRequest,
    PreconditionFailed,
    check_content,
    check_preconditions,
    etag,
    header_required,
    merge,
)
from stride.xapi.validation import V1, V2

TAG = etag(b'{"a":1}')
OTHER = '"' + "0" * 40 + '"'


def test_etag_is_the_quoted_lowercase_sha1_of_the_content() -> None:
    content = b'{"a":1}'
    assert etag(content) == '"' + hashlib.sha1(content).hexdigest() + '"'
    assert etag(content) == etag(content).lower()


@pytest.mark.parametrize(
    ("current", "if_match", "if_none_match", "is_put", "required", "outcome"),
    [
        (TAG, TAG, None, True, True, None),
        (TAG, f"{OTHER}, {TAG}", None, True, True, None),
        (TAG, TAG.strip('"'), None, True, True, None),  # bare hex, as some clients send
        (TAG, TAG.upper(), None, True, True, None),
        (TAG, "*", None, True, True, None),
        (TAG, OTHER, None, True, True, PreconditionFailed),
        (TAG, "W/" + TAG, None, True, True, PreconditionFailed),  # If-Match is strong
        (None, TAG, None, True, True, PreconditionFailed),
        (None, "*", None, True, True, PreconditionFailed),
        (TAG, None, "*", True, True, PreconditionFailed),
        (TAG, None, "W/" + TAG, True, True, PreconditionFailed),  # If-None-Match is weak
        (TAG, None, OTHER, True, True, None),
        (None, None, "*", True, True, None),
        (TAG, None, None, True, True, Conflict),
        (TAG, None, None, True, False, None),  # a 1.0.3 state document
        (TAG, None, None, False, True, None),  # POST and DELETE need no header
        (None, None, None, True, True, None),
    ],
)
def test_preconditions(
    current: str | None,
    if_match: str | None,
    if_none_match: str | None,
    is_put: bool,
    required: bool,
    outcome: type[Exception] | None,
) -> None:
    def run() -> None:
        check_preconditions(
            current, if_match, if_none_match, is_put=is_put, header_required=required
        )

    if outcome is None:
        run()
    else:
        with pytest.raises(outcome) as raised:
            run()
        assert type(raised.value) is outcome


def test_a_put_without_precondition_is_refused_for_profiles_always_and_state_in_2_0() -> None:
    assert header_required(DocumentKind.ACTIVITY_PROFILE, V1)
    assert header_required(DocumentKind.AGENT_PROFILE, V1)
    assert not header_required(DocumentKind.STATE, V1)
    assert header_required(DocumentKind.STATE, V2)


def test_merge_sets_the_posted_top_level_properties() -> None:
    stored = orjson.dumps({"x": "foo", "y": "bar", "o": {"keep": 1}})
    posted = orjson.dumps({"x": "bash", "z": "faz", "o": {"new": 2}})
    merged = merge(stored, "application/json; charset=utf-8", posted, "application/json")
    assert orjson.loads(merged) == {"x": "bash", "y": "bar", "z": "faz", "o": {"new": 2}}


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a":1}', "text/plain", b'{"b":2}', "application/json"),
        (b'{"a":1}', "application/json", b'{"b":2}', "application/octet-stream"),
        (b"[1]", "application/json", b'{"b":2}', "application/json"),
        (b'{"a":1}', "application/json", b'"text"', "application/json"),
        (b"{broken", "application/json", b'{"b":2}', "application/json"),
    ],
)
def test_merge_refuses_anything_but_two_json_objects(
    stored: bytes, stored_type: str, posted: bytes, posted_type: str
) -> None:
    with pytest.raises(InvalidDocumentRequest):
        merge(stored, stored_type, posted, posted_type)


def test_json_documents_must_be_json() -> None:
    check_content(b"not json", "text/plain")
    check_content(b"[1, 2]", "Application/JSON")
    with pytest.raises(InvalidDocumentRequest):
        check_content(b"{oops", "application/json")


AGENT = json.dumps({"mbox": "mailto:ana@example.com"})
ACTIVITY = "http://example.com/a"


@pytest.mark.parametrize(
    ("kind", "method", "params"),
    [
        (DocumentKind.STATE, "PUT", {"activityId": ACTIVITY, "agent": AGENT}),  # no stateId
        (
            DocumentKind.STATE,
            "GET",
            {
                "activityId": ACTIVITY,
                "agent": AGENT,
                "stateId": "s",
                "since": "2024-01-01T00:00:00Z",
            },
        ),
        (
            DocumentKind.STATE,
            "DELETE",
            {"activityId": ACTIVITY, "agent": AGENT, "since": "2024-01-01T00:00:00Z"},
        ),
        (DocumentKind.STATE, "GET", {"agent": AGENT}),
        (DocumentKind.STATE, "GET", {"activityId": ACTIVITY, "agent": AGENT, "stateId": ""}),
        (DocumentKind.AGENT_PROFILE, "PUT", {"agent": AGENT, "profileId": "a\x00b"}),
        (DocumentKind.AGENT_PROFILE, "DELETE", {"agent": AGENT}),
        (DocumentKind.AGENT_PROFILE, "GET", {"agent": AGENT, "activityId": ACTIVITY}),
        (DocumentKind.ACTIVITY_PROFILE, "GET", {"activityId": ACTIVITY, "agent": AGENT}),
        (
            DocumentKind.AGENT_PROFILE,
            "GET",
            {"agent": '{"objectType": "Group", "mbox": "mailto:g@example.com"}'},
        ),
        (
            DocumentKind.STATE,
            "GET",
            {"activityId": ACTIVITY, "agent": AGENT, "since": "2024-01-01T00:00:00"},
        ),
    ],
)
def test_parameters_xapi_does_not_allow_are_refused(
    kind: DocumentKind, method: str, params: dict[str, str]
) -> None:
    version = V2  # 2.0 also requires the time zone of `since`
    with pytest.raises(InvalidDocumentRequest):
        parse_document_params(kind, method, params, version)


def test_parameters_are_parsed() -> None:
    registration = "6F1D3C1E-2B7A-4C9E-8F4D-0A7B3E9C2D51"
    params = {"activityId": ACTIVITY, "agent": AGENT, "registration": registration}
    parsed = parse_document_params(
        DocumentKind.STATE, "GET", {**params, "since": "2024-05-01T11:30:00+02:00"}, V1
    )
    assert parsed.registration == registration.lower()
    assert parsed.agent == {"mbox": "mailto:ana@example.com"}
    assert parsed.document_id is None and parsed.since is not None
    assert parsed.since.isoformat() == "2024-05-01T09:30:00+00:00"
    deleted = parse_document_params(DocumentKind.STATE, "DELETE", params, V1)
    assert deleted.document_id is None  # every state document of the context


def test_person_combines_agents_without_repeats() -> None:
    ana = {"objectType": "Agent", "name": "Ana", "mbox": "mailto:ana@example.com"}
    linked: list[dict[str, Any]] = [
        {"name": "Ana", "account": {"homePage": "https://lms.example.edu", "name": "42"}},
        {"name": "A. Silva", "openid": "https://id.example.com/ana"},
    ]
    assert person_of([ana, *linked]) == {
        "objectType": "Person",
        "name": ["Ana", "A. Silva"],
        "mbox": ["mailto:ana@example.com"],
        "openid": ["https://id.example.com/ana"],
        "account": [{"homePage": "https://lms.example.edu", "name": "42"}],
    }
    assert person_of([{"mbox_sha1sum": "ab" * 20}]) == {
        "objectType": "Person",
        "mbox_sha1sum": ["ab" * 20],
    }


def test_definitions_merge_language_maps_and_newer_values_win() -> None:
    merged = merge_definitions(
        [
            {"name": {"en-US": "Quiz"}, "type": "http://x.y/quiz", "extensions": {"http://x/a": 1}},
            {"name": {"fr-FR": "Quiz FR", "en-US": "Quiz 1"}, "type": "http://x.y/assessment"},
            {"extensions": {"http://x/b": 2}, "moreInfo": "http://x.y/info"},
        ]
    )
    assert merged == {
        "name": {"en-US": "Quiz 1", "fr-FR": "Quiz FR"},
        "type": "http://x.y/assessment",
        "extensions": {"http://x/a": 1, "http://x/b": 2},
        "moreInfo": "http://x.y/info",
    }


def test_activity_of_reads_only_statements_whose_object_is_the_activity() -> None:
    named = {"object": {"id": ACTIVITY, "definition": {"name": {"en": "A"}}}}
    other = {"object": {"id": "http://example.com/b", "definition": {"name": {"en": "B"}}}}
    agent = {"object": {"objectType": "Agent", "mbox": "mailto:x@example.com"}}
    assert activity_of(ACTIVITY, [named, other, agent]) == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {"name": {"en": "A"}},
    }
    assert activity_of(ACTIVITY, [other]) == {"objectType": "Activity", "id": ACTIVITY}
