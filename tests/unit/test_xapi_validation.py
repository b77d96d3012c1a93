"""Statement validation per xAPI 1.0.3 and 2.0: every problem with its path."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.xapi.validation import V1, V2, batch_errors, statement_errors
from tests.xapi_fixtures import moodle_statements, simple_statement

REF = {"objectType": "StatementRef", "id": "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69"}
AGENT = {"mbox": "mailto:bob@example.com"}
OAUTH_GROUP = {
    "objectType": "Group",
    "member": [
        {"account": {"homePage": "http://example.com/oauth/token", "name": "consumer"}},
        AGENT,
    ],
}
ATTACHMENT = {
    "usageType": "http://example.com/attachment-usage/test",
    "display": {"en-US": "A test attachment"},
    "contentType": "text/plain; charset=ascii",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "http://example.com/file.txt",
}


def _paths(statement: Any, version: str = V1) -> set[str]:
    return {error.path for error in statement_errors(statement, version)}


@pytest.mark.parametrize("version", [V1, V2])
def test_moodle_statements_are_valid(version: str) -> None:
    for stem, statement in moodle_statements():
        assert statement_errors(statement, version) == [], stem


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"actor": {"name": "Ana"}}, "actor"),
        ({"actor": {"mbox": "ana@example.com"}}, "actor.mbox"),
        ({"actor": {"mbox": "mailto:a@b.c", "openid": "http://x.y/a"}}, "actor"),
        ({"actor": {"mbox_sha1sum": "xyz"}}, "actor.mbox_sha1sum"),
        ({"actor": {"account": {"name": "1"}}}, "actor.account.homePage"),
        ({"actor": {"objectType": "Group"}}, "actor.member"),
        ({"actor": {"mbox": "mailto:a@b.c", "extra": 1}}, "actor.extra"),
        ({"verb": {"display": {"en": "x"}}}, "verb.id"),
        ({"verb": {"id": "not an iri"}}, "verb.id"),
        (
            {"verb": {"id": "http://x.y/v", "display": {"not a tag!": "x"}}},
            "verb.display.not a tag!",
        ),
        ({"object": {"objectType": "Activity"}}, "object.id"),
        ({"object": {"objectType": "Thing", "id": "http://x.y"}}, "object.objectType"),
        ({"object": {"objectType": "StatementRef", "id": "1"}}, "object.id"),
        ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled"),
        ({"result": {"score": {"raw": 5, "min": 6, "max": 9}}}, "result.score.raw"),
        ({"result": {"score": {"min": 9, "max": 6}}}, "result.score.min"),
        ({"result": {"success": "true"}}, "result.success"),
        ({"result": {"duration": "90 seconds"}}, "result.duration"),
        ({"result": {"extensions": {"notiri": 1}}}, "result.extensions.notiri"),
        ({"context": {"registration": "x"}}, "context.registration"),
        (
            {"context": {"contextActivities": {"parent": [{"id": "x y"}]}}},
            "context.contextActivities.parent[0].id",
        ),
        ({"context": {"contextActivities": {"sibling": []}}}, "context.contextActivities.sibling"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2024-05-01T09:30:00-00:00"}, "timestamp"),
        ({"version": "0.95"}, "version"),
        ({"verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}}, "object"),
        ({"attachments": [{"usageType": "http://x.y/u"}]}, "attachments[0].display"),
        ({"unknown": 1}, "unknown"),
        ({"result": None}, "result"),
        # Found by the ADL conformance suite (docs/xapi.md, "Conformance"):
        ({"verb": {"id": "http://x.y/v", "display": {}}}, "verb.display"),
        ({"verb": {"id": "http://x.y/v", "display": {"test": "x"}}}, "verb.display.test"),
        ({"object": {"id": "http://x.y/a", "definition": {}}}, "object.definition"),
        (
            {"object": {"id": "http://x.y/a", "definition": {"name": {}}}},
            "object.definition.name",
        ),
        (
            {"object": {"id": "http://x.y/a", "definition": {"correctResponsesPattern": ["a"]}}},
            "object.definition.correctResponsesPattern",
        ),
        ({"context": {"contextActivities": {}}}, "context.contextActivities"),
        ({"result": {"duration": "P4W1D"}}, "result.duration"),
        ({"timestamp": "2008-09-15 15:53:00.601+00:00"}, "timestamp"),  # 1.0.3: "T" only
        ({"context": {"language": "test"}}, "context.language"),
        (
            {"attachments": [{**ATTACHMENT, "contentType": "should fail"}]},
            "attachments[0].contentType",
        ),
        ({"attachments": [{**ATTACHMENT, "display": {}}]}, "attachments[0].display"),
        ({"authority": {**OAUTH_GROUP, "mbox": "mailto:g@example.com"}}, "authority"),
        (
            {"authority": {**OAUTH_GROUP, "member": OAUTH_GROUP["member"][:1]}},
            "authority.member",
        ),
        (
            {"authority": {**OAUTH_GROUP, "member": [*OAUTH_GROUP["member"], AGENT]}},
            "authority.member",
        ),
    ],
)
def test_invalid_statements_name_the_field(change: dict[str, Any], path: str) -> None:
    statement = {**simple_statement(), **change}
    assert path in _paths(statement), statement_errors(statement)


def test_what_the_conformance_suite_tightened_still_accepts_valid_forms() -> None:
    valid = simple_statement(
        authority=OAUTH_GROUP,
        attachments=[ATTACHMENT],
        context={"language": "tlh", "contextActivities": {"parent": {"id": "http://x.y/p"}}},
    )
    valid["verb"]["display"] = {"en-GB": "x", "x-klingon": "y", "i-default": "z", "es-419": "w"}
    valid["object"]["definition"] = {"type": "http://x.y/t"}
    assert statement_errors(valid) == []
    assert statement_errors({**valid, "authority": AGENT}) == []
    assert statement_errors({**valid, "result": {"duration": "P4W"}}) == []
    spaced = {**valid, "timestamp": "2008-09-15 15:53:00.601+00:00"}
    assert statement_errors(spaced, V2) == []  # RFC 3339, which 2.0 follows


def test_required_properties() -> None:
    assert _paths({}) == {"actor", "verb", "object"}
    assert _paths([]) == {"(statement)"}


def test_contextagents_and_timezone_rules_differ_between_versions() -> None:
    agents = [
        {
            "objectType": "contextAgent",
            "agent": {"mbox": "mailto:coach@example.com"},
            "relevantTypes": ["http://example.com/types/coach"],
        }
    ]
    statement = simple_statement(context={"contextAgents": agents})
    assert "context.contextAgents" in _paths(statement, V1)
    assert statement_errors(statement, V2) == []
    naive = simple_statement(timestamp="2024-05-01T09:30:00")
    assert statement_errors(naive, V1) == []
    assert _paths(naive, V2) == {"timestamp"}


def test_voiding_and_substatements() -> None:
    voiding = simple_statement("http://adlnet.gov/expapi/verbs/voided", object=REF)
    assert statement_errors(voiding) == []
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:a@b.c"},
        "verb": {"id": "http://x.y/v"},
        "object": {"objectType": "SubStatement"},
    }
    assert "object.object.objectType" in _paths(simple_statement(object=sub))
    sub["object"] = {"id": "http://x.y/a"}
    assert statement_errors(simple_statement(object=sub)) == []
    agent_object = simple_statement(object={"mbox": "mailto:a@b.c"})
    assert "object.id" in _paths(agent_object)  # without objectType, an object is an Activity


def test_batch_errors_carry_the_index() -> None:
    errors = batch_errors([simple_statement(), {**simple_statement(), "id": "x"}])
    assert [e.path for e in errors] == ["[1].id"]


def _paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        if "extensions" in prefix:
            return found
        for key, item in value.items():
            found += _paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths_of(item, (*prefix, index))
    return found


@given(st.data())
def test_a_null_anywhere_outside_extensions_is_refused(data: st.DataObject) -> None:
    moodle = [statement for _, statement in moodle_statements()]  # skips when absent
    statement = copy.deepcopy(data.draw(st.sampled_from(moodle)))
    location = data.draw(st.sampled_from(_paths_of(statement)))
    holder = statement
    for part in location[:-1]:
        holder = holder[part]
    holder[location[-1]] = None
    assert statement_errors(statement) != []


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_any_json_gives_errors_never_an_exception(value: Any) -> None:
    errors = statement_errors({"actor": value, "verb": value, "object": value, "result": value})
    assert errors
