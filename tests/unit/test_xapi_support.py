"""Statement comparison, output formats, query cursors and the credential cache."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.errors import Unauthenticated
from stride.xapi.comparison import comparison_form, content_hash
from stride.xapi.credentials import CredentialCache
from stride.xapi.errors import InvalidStatement
from stride.xapi.formats import accepted_languages, formatted
from stride.xapi.query import more_token, parse_query, read_more_token
from tests.xapi_fixtures import moodle_statements, simple_statement

GROUP = {
    "objectType": "Group",
    "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}],
}


def test_comparison_ignores_what_the_lrs_sets_and_how_things_are_written() -> None:
    statement = simple_statement(actor=GROUP, timestamp="2024-05-01T11:30:00+02:00")
    same = {
        **copy.deepcopy(statement),
        "id": statement["id"].upper(),
        "timestamp": "2024-05-01T09:30:00.000Z",
        "stored": "2030-01-01T00:00:00Z",
        "authority": {"mbox": "mailto:lrs@example.com"},
        "version": "1.0.0",
    }
    same["actor"]["member"].reverse()
    assert content_hash(same) == content_hash(statement)
    assert content_hash({**statement, "result": {"success": True}}) != content_hash(statement)
    listed = {
        **statement,
        "context": {"contextActivities": {"parent": [{"id": "x:1"}, {"id": "x:2"}]}},
    }
    swapped = copy.deepcopy(listed)
    swapped["context"]["contextActivities"]["parent"].reverse()
    assert content_hash(listed) != content_hash(swapped)  # other arrays keep their order


@given(st.permutations(list(simple_statement())))
def test_key_order_does_not_matter(keys: list[str]) -> None:
    statement = simple_statement()
    statement["id"] = "5b0f8b8e-6a3c-4c5e-9a7e-1f2d3c4b5a69"
    reordered = {key: statement[key] for key in keys}
    assert content_hash(reordered) == content_hash(statement)


def test_durations_count_to_the_hundredth_of_a_second() -> None:
    def form(duration: str) -> Any:
        return comparison_form(simple_statement(result={"duration": duration}))["result"]

    assert form("PT1.2345S") == form("PT1.23S") == form("PT1.230S") != form("PT1.24S")
    assert form("PT1.5S") == form("PT1.50S") == form("PT1.509S") != form("PT1S")
    assert form("PT2.S") == form("PT2.00S") == form("PT2.004S") == form("PT2S")
    assert form("P1DT12H36M0.1237S") == {"duration": "P1DT12H36M0.12S"}
    # The hash is unchanged by the rule: stored hashes stay valid (a differing hash is
    # followed by a comparison of the statements).
    plain = simple_statement(result={"duration": "PT1.2345S"})
    fields = {k: v for k, v in plain.items() if k not in ("authority", "stored", "version")}
    expected = hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert content_hash(plain) == expected


def test_ids_format_keeps_only_identifiers() -> None:
    for _, statement in moodle_statements()[:20]:
        reduced = formatted(statement, "ids", [])
        assert "name" not in reduced["actor"]
        assert "display" not in reduced["verb"]
        parents = reduced.get("context", {}).get("contextActivities", {}).get("parent", [])
        assert all(set(parent) == {"id"} for parent in parents)


def test_canonical_format_keeps_the_preferred_language() -> None:
    statement = simple_statement()
    statement["verb"]["display"] = {"en-US": "completed", "fr-FR": "a terminé"}
    assert formatted(statement, "canonical", ["fr"])["verb"]["display"] == {"fr-FR": "a terminé"}
    assert formatted(statement, "canonical", [])["verb"]["display"] == {"en-US": "completed"}
    assert accepted_languages("fr;q=0.5, de, *;q=0.1") == ["de", "fr"]


def test_canonical_format_prefers_the_exact_tag_to_its_primary_language() -> None:
    statement = simple_statement()
    statement["verb"]["display"] = {"en": "completed", "en-GB": "finished", "en-US": "done"}
    assert formatted(statement, "canonical", ["en-GB"])["verb"]["display"] == {"en-GB": "finished"}
    assert formatted(statement, "canonical", ["en-AU"])["verb"]["display"] == {"en": "completed"}


def test_every_format_returns_context_activities_as_arrays() -> None:
    parent = {"id": "http://x.y/parent", "objectType": "Activity"}
    context = {"contextActivities": {"parent": parent, "grouping": [parent]}}
    inner = simple_statement(context=context)
    del inner["id"]
    statement = simple_statement(context=context, object={"objectType": "SubStatement", **inner})
    for form in ("exact", "ids", "canonical"):
        shown = formatted(statement, form, [])
        for holder in (shown, shown["object"]):
            activities = holder["context"]["contextActivities"]
            assert isinstance(activities["parent"], list), form
            assert len(activities["parent"]) == len(activities["grouping"]) == 1
    assert statement["context"]["contextActivities"]["parent"] == parent  # input left alone


def test_more_cursors_round_trip_and_refuse_forgeries() -> None:
    params = {"verb": "http://x.y/v", "limit": "2"}
    assert read_more_token(more_token(params, 41)) == (params, 41)
    for token in ("", "!!", "e30", more_token({"a": 1}, 3)):  # type: ignore[dict-item]
        with pytest.raises(InvalidStatement):
            read_more_token(token)


def test_query_limits() -> None:
    assert parse_query({}).limit == 500
    assert parse_query({"limit": "0"}).limit == 500
    assert parse_query({"limit": "9"}).limit == 9
    assert parse_query({"limit": "100000"}).limit == 500


def test_credential_cache_verifies_once_and_never_caches_failures() -> None:
    cache: CredentialCache[str] = CredentialCache(ttl=60)
    calls: list[str] = []

    def good() -> str:
        calls.append("good")
        return "principal"

    def bad() -> Any:
        calls.append("bad")
        raise Unauthenticated("no")

    assert cache.get_or_verify("k1", good) == "principal"
    assert cache.get_or_verify("k1", good) == "principal"
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cache.get_or_verify("k2", bad)
    assert calls == ["good", "bad", "bad"]
    expired: CredentialCache[str] = CredentialCache(ttl=-1)
    expired.get_or_verify("k", good)
    expired.get_or_verify("k", good)
    assert calls.count("good") == 3
