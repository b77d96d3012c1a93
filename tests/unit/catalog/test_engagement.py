"""The catalog's streaks and leaderboards sections."""

from __future__ import annotations

from typing import Any

import pytest

from stride.catalog.engagement import (
    LeaderboardRules,
    StreakRules,
    leaderboard_rules,
    streak_rules,
)
from stride.catalog.validation import parse_catalog
from stride.errors import InvalidInput
from tests.catalogs import small_catalog


def _parse(**sections: Any) -> Any:
    return parse_catalog({**small_catalog(), **sections})


def test_defaults_without_sections() -> None:
    catalog = _parse()
    assert streak_rules(catalog) == StreakRules(0)
    assert leaderboard_rules(catalog) == LeaderboardRules(True, 10, True)


def test_sections_parse_and_normalize() -> None:
    catalog = _parse(streaks={"freezes_per_month": 2}, leaderboards={"top": 5})
    assert streak_rules(catalog).freezes_per_month == 2
    assert leaderboard_rules(catalog) == LeaderboardRules(True, 5, True)
    assert catalog.section_documents["leaderboards"] == {
        "enabled": True,
        "top": 5,
        "show_anonymous": True,
    }
    assert _parse(**catalog.section_documents) == catalog


@pytest.mark.parametrize(
    ("sections", "paths"),
    [
        ({"streaks": {"freezes_per_month": 11}}, ["streaks.freezes_per_month"]),
        ({"streaks": {"freezes_per_month": True}}, ["streaks.freezes_per_month"]),
        ({"streaks": {"freezes": 1}}, ["streaks.freezes"]),
        ({"streaks": [1]}, ["streaks"]),
        (
            {"leaderboards": {"top": 0, "enabled": "yes"}},
            ["leaderboards.enabled", "leaderboards.top"],
        ),
    ],
)
def test_bad_sections_name_their_paths(sections: dict[str, Any], paths: list[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        _parse(**sections)
    assert sorted(e.path for e in raised.value.errors) == sorted(paths)
