"""The `certifications` catalog section, and eligibility against a learner's progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from stride.catalog import catalog_document, parse_catalog
from stride.certificates.eligibility import check_eligibility
from stride.certificates.requirements import Certification, certification_for
from stride.errors import InvalidInput
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import completion_tree
from tests.catalogs import small_catalog

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _with(*certifications: dict[str, Any]) -> dict[str, Any]:
    return {**small_catalog(), "certifications": list(certifications)}


FULL = {
    "program": "prog",
    "name": "Project Basics",
    "required_modules": [{"module": "prog/c1/m1", "min_score": 0.8}],
    "min_mastery": {"planning": 0.9},
    "min_hours": 1,
    "valid_for_days": 365,
}


def test_a_certification_is_parsed_and_normalized_with_a_criteria_narrative() -> None:
    catalog = parse_catalog(_with(FULL))
    found = certification_for(catalog, "prog")
    assert isinstance(found, Certification)
    assert found.min_mastery == (("planning", 0.9),) and found.valid_for_days == 365
    assert "prog/c1/m1" in found.criteria and "90%" in found.criteria
    document = catalog_document(catalog)["certifications"][0]
    assert document["required_modules"] == [{"module": "prog/c1/m1", "min_score": 0.8}]
    assert parse_catalog({**small_catalog(), "certifications": [document]}) == catalog
    assert certification_for(catalog, "prog/c1") is None


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"program": "nope"}, "certifications[0].program"),
        ({"program": "prog/c1"}, "certifications[0].program"),
        ({"name": ""}, "certifications[0].name"),
        (
            {"required_modules": [{"module": "prog/c1/m1"}, {"module": "x"}]},
            "certifications[0].required_modules[1].module",
        ),
        (
            {"required_modules": [{"module": "prog/c1/m1", "min_score": 2}]},
            "certifications[0].required_modules[0].min_score",
        ),
        ({"min_mastery": {"juggling": 0.5}}, "certifications[0].min_mastery.juggling"),
        ({"min_hours": -1}, "certifications[0].min_hours"),
        ({"valid_for_days": 0}, "certifications[0].valid_for_days"),
        ({"colour": "red"}, "certifications[0].colour"),
    ],
)
def test_problems_are_reported_on_their_paths(change: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_catalog(_with({**FULL, **change}))
    assert path in [e.path for e in raised.value.errors]


def _row(activity: str, score: float | None, minutes: float, done: bool) -> ActivityProgress:
    return ActivityProgress(
        learner_key="k",
        activity_id=activity,
        activity_type="exercise",
        status=ActivityStatus.COMPLETED if done else ActivityStatus.IN_PROGRESS,
        attempts=1,
        best_score=score,
        last_score=score,
        last_scored_at=NOW,
        last_scored_event="e",
        time_spent_ms=round(minutes * 60_000),
        first_seen=NOW,
        last_seen=NOW,
        last_event="e",
        completed_at=NOW if done else None,
    )


def test_eligibility_lists_each_requirement_and_what_is_missing() -> None:
    catalog = parse_catalog(_with(FULL))
    certification = certification_for(catalog, "prog")
    assert certification is not None
    rows = {"prog/c1/m1/ex1": _row("prog/c1/m1/ex1", 0.9, 50, True)}
    found = check_eligibility(
        certification, completion_tree(catalog, "prog", rows, now=NOW), {"planning": 0.95}
    )
    assert not found.eligible
    assert [c.requirement for c in found.missing] == ["module:prog/c1/m1.completion", "hours"]

    rows["prog/c1/m1/ex2"] = _row("prog/c1/m1/ex2", 0.8, 20, True)
    found = check_eligibility(
        certification, completion_tree(catalog, "prog", rows, now=NOW), {"planning": 0.95}
    )
    assert found.eligible, found.missing
    score = next(c for c in found.requirements if c.requirement == "module:prog/c1/m1.score")
    assert score.actual == pytest.approx(0.85) and score.required == 0.8
