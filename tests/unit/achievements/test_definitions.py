"""The catalog sections `achievements` and `points`."""

from __future__ import annotations

from typing import Any

import pytest

from stride.achievements.definitions import DEFAULT_ACHIEVEMENTS, effective_achievements
from stride.achievements.points import DEFAULT_POINTS, PointsRules
from stride.catalog import parse_catalog
from stride.errors import InvalidInput
from tests.catalogs import small_catalog

DEFAULT_IDS = [d.id for d in DEFAULT_ACHIEVEMENTS]


def _catalog(**sections: Any) -> Any:
    return parse_catalog({**small_catalog(), **sections})


def test_without_a_section_the_defaults_apply() -> None:
    catalog = _catalog()
    assert catalog.section("achievements") is None
    assert [d.id for d in effective_achievements(None)] == DEFAULT_IDS


def test_defaults_are_switched_off_one_by_one_or_all_at_once() -> None:
    one = _catalog(achievements=[{"id": "one-week-streak", "enabled": False}])
    enabled = {d.id: d.enabled for d in one.section("achievements")}
    assert enabled == {**dict.fromkeys(DEFAULT_IDS, True), "one-week-streak": False}
    custom = {"id": "x", "name": "X", "criteria": "module:prog/c1/m1.completion >= 1"}
    none = _catalog(achievements={"defaults": False, "items": [custom]})
    assert [d.id for d in none.section("achievements")] == ["x"]


def test_the_normalized_document_parses_back_to_the_same_value() -> None:
    custom = {
        "id": "deep",
        "name": "Deep",
        "type": "mastery",
        "points": 30,
        "icon": "star",
        "criteria": {
            "any": ["mastery:planning >= 0.9", {"metric": "score.perfect", "op": ">=", "value": 3}]
        },
    }
    catalog = _catalog(achievements=[{"id": "first-perfect-score", "enabled": False}, custom])
    document = catalog.section_documents["achievements"]
    assert document["items"][0] == {"id": "first-perfect-score", "enabled": False}
    assert document["items"][1]["criteria"] == {
        "any": ["mastery:planning >= 0.9", "score.perfect >= 3"]
    }
    again = _catalog(achievements=document)
    assert again.section("achievements") == catalog.section("achievements")


@pytest.mark.parametrize(
    ("section", "path"),
    [
        (
            [{"id": "x", "name": "X", "criteria": {"all": ["course:prog/c1/m1.completion >= 1"]}}],
            "achievements[0].criteria.all[0]",
        ),
        (
            [{"id": "x", "name": "X", "criteria": "improvement:nowhere.30d >= 0.1"}],
            "achievements[0].criteria",
        ),
        (
            [{"id": "x", "name": "X", "criteria": "events:not-a-type.count >= 1"}],
            "achievements[0].criteria",
        ),
        (
            [{"id": "x", "name": "X", "points": -1, "criteria": "score.perfect >= 1"}],
            "achievements[0].points",
        ),
        (
            [{"id": "x", "name": "X", "type": "epic", "criteria": "score.perfect >= 1"}],
            "achievements[0].type",
        ),
        ([{"id": "X!", "name": "X", "criteria": "score.perfect >= 1"}], "achievements[0].id"),
        ([{"id": "x", "name": "X"}], "achievements[0].criteria"),
        (
            [{"id": "x", "name": "X", "criteria": "score.perfect >= 1", "colour": 1}],
            "achievements[0].colour",
        ),
        ([{"id": "x", "name": "X", "criteria": "score.perfect >= 1"}] * 2, "achievements[1].id"),
        ({"defaults": "no"}, "achievements.defaults"),
        ("streak.current >= 7", "achievements"),
    ],
)
def test_section_errors_carry_their_path(section: object, path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _catalog(achievements=section)
    assert path in [e.path for e in caught.value.errors]


def test_points_section() -> None:
    assert _catalog().section("points") is None
    rules = _catalog(points={"events": {"custom.call": 3}, "achievements": False}).section("points")
    assert rules == PointsRules((("custom.call", 3),), achievements=False)
    assert _catalog(points={}).section("points") == DEFAULT_POINTS
    with pytest.raises(InvalidInput) as caught:
        _catalog(points={"events": {"nope": 1, "custom.x": 1.5}, "extra": 1})
    assert sorted(e.path for e in caught.value.errors) == [
        "points.events.custom.x",
        "points.events.nope",
        "points.extra",
    ]
