"""stride.xapi.related: what related_activities / related_agents find a statement by."""

from __future__ import annotations

from typing import Any

import pytest

from stride.xapi.related import Related, related_of

ANA = {"mbox": "mailto:ana@example.com"}
BEA = {"objectType": "Agent", "mbox": "mailto:Bea@Example.com"}
ANA_ID, BEA_ID = "mbox:mailto:ana@example.com", "mbox:mailto:Bea@example.com"
LESSON = {"id": "http://x.org/lesson"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/completed"}


def _statement(**parts: Any) -> dict[str, Any]:
    return {"actor": ANA, "verb": VERB, "object": LESSON, **parts}


def _sub(**parts: Any) -> dict[str, Any]:
    return {"objectType": "SubStatement", "actor": ANA, "verb": VERB, "object": LESSON, **parts}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (_statement(), Related({ANA_ID: True}, frozenset({LESSON["id"]}))),
        (
            _statement(context={"instructor": BEA}),
            Related({ANA_ID: True, BEA_ID: False}, frozenset({LESSON["id"]})),
        ),
        (  # the actor as instructor too: still a direct match
            _statement(context={"instructor": ANA}),
            Related({ANA_ID: True}, frozenset({LESSON["id"]})),
        ),
        (  # an anonymous group is matched by its members only
            _statement(actor={"objectType": "Group", "member": [BEA]}),
            Related({BEA_ID: True}, frozenset({LESSON["id"]})),
        ),
        (
            _statement(
                object={
                    "objectType": "Group",
                    "account": {"homePage": "http://h", "name": "g"},
                    "member": [BEA],
                }
            ),
            Related({ANA_ID: True, "account:http:%2F%2Fh|g": True, BEA_ID: True}, frozenset()),
        ),
        (
            _statement(context={"team": {"objectType": "Group", "member": [BEA]}}),
            Related({ANA_ID: True, BEA_ID: False}, frozenset({LESSON["id"]})),
        ),
        (
            _statement(authority=BEA),
            Related({ANA_ID: True, BEA_ID: False}, frozenset({LESSON["id"]})),
        ),
        (
            _statement(
                object=_sub(
                    actor=BEA, context={"contextActivities": {"other": [{"id": "http://o"}]}}
                )
            ),
            Related({ANA_ID: True, BEA_ID: False}, frozenset({LESSON["id"], "http://o"})),
        ),
        (
            _statement(object=_sub(object=BEA, context={"instructor": {"openid": "http://i"}})),
            Related({ANA_ID: True, BEA_ID: False, "openid:http:%2F%2Fi": False}, frozenset()),
        ),
        (  # 1.0.0 allowed a single activity where later versions write an array
            _statement(
                context={
                    "contextActivities": {
                        "parent": [{"id": "http://p"}],
                        "grouping": {"id": "http://g"},
                        "category": [{"id": "http://c"}],
                        "other": [{"id": "http://o"}],
                    }
                }
            ),
            Related(
                {ANA_ID: True},
                frozenset({LESSON["id"], "http://p", "http://g", "http://c", "http://o"}),
            ),
        ),
        (  # a StatementRef names neither an agent nor an activity
            _statement(object={"objectType": "StatementRef", "id": "0" * 8}),
            Related({ANA_ID: True}, frozenset()),
        ),
    ],
)
def test_related_of(statement: dict[str, Any], expected: Related) -> None:
    assert related_of(statement) == expected
