"""Event-type patterns a webhook may subscribe to, and what they match."""

from __future__ import annotations

import pytest

from stride.errors import InvalidInput
from stride.webhooks.subscriptions import check_event_types, subscription


def test_known_types_families_custom_and_everything_are_accepted() -> None:
    patterns = ["skill.acquired", "achievement.*", "custom.quiz.done", "custom.*", "*"]
    assert check_event_types([*patterns, "skill.acquired"]) == patterns


@pytest.mark.parametrize(
    "bad",
    ["skill.lost", "nope.*", "webhook.test", "achievement.**", "", "custom.", "SKILL.ACQUIRED"],
)
def test_unknown_types_are_refused_by_position(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_event_types(["goal.met", bad])
    assert [e.path for e in refused.value.errors] == ["event_types[1]"]


def test_nothing_to_subscribe_to_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_event_types([])


@pytest.mark.parametrize(
    ("patterns", "matching", "other"),
    [
        (["achievement.*"], ["achievement.awarded"], ["goal.met", "skill.acquired"]),
        (["certificate.*", "goal.met"], ["certificate.revoked", "goal.met"], ["goal.set"]),
        (["custom.*"], ["custom.quiz.done"], ["customer.x", "skill.acquired"]),
        (["*"], ["skill.acquired", "custom.a"], []),
    ],
)
def test_subscriptions_match_what_the_patterns_say(
    patterns: list[str], matching: list[str], other: list[str]
) -> None:
    wanted = subscription(patterns)
    assert all(wanted.matches(t) for t in matching)
    assert not any(wanted.matches(t) for t in other)
