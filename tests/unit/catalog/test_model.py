"""The catalog's lookups: tree navigation, skills by dimension, pass marks."""

from __future__ import annotations

import pytest

from stride.catalog import Catalog, parse_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(
        {
            "mastery": {"pass_score": 0.6},
            "dimensions": [{"id": "exec"}, {"id": "lead"}],
            "skills": [{"id": "plan", "dimension": "exec"}, {"id": "free"}],
            "activities": [
                {"id": "p", "type": "program"},
                {"id": "c", "type": "course", "parent": "p"},
                {"id": "m1", "type": "module", "parent": "c"},
                {"id": "m2", "type": "module", "parent": "c"},
                {"id": "m2/b", "type": "block", "parent": "m2"},
                {"id": "m1/ex", "type": "exercise", "parent": "m1", "skills": ["plan"]},
                {"id": "m1/q", "type": "assessment", "parent": "m1", "pass_score": 0.9},
                {"id": "q", "type": "program"},
            ],
        }
    )


def ids(activities: tuple[object, ...]) -> list[str]:
    return [a.id for a in activities]  # type: ignore[attr-defined]


def test_tree_navigation(catalog: Catalog) -> None:
    assert ids(catalog.children("c")) == ["m1", "m2"]
    assert ids(catalog.children("m1/ex")) == []
    assert ids(catalog.items_under("p")) == ["m2/b", "m1/ex", "m1/q"]
    assert ids(catalog.items_under("m1")) == ["m1/ex", "m1/q"]
    assert ids(catalog.items_under("m1/q")) == ["m1/q"]
    assert ids(catalog.items_under("nope")) == []
    assert catalog.ancestors("m1/ex") == ("m1", "c", "p")
    assert catalog.ancestors("p") == ()
    assert catalog.module_of("m1/ex") == "m1"
    assert catalog.module_of("c") is None
    assert ids(catalog.programs()) == ["p", "q"]


def test_skills_and_pass_marks(catalog: Catalog) -> None:
    assert catalog.skills_of("m1/ex") == ("plan",)
    assert catalog.skills_of("m1") == ()
    assert catalog.skills_of("nope") == ()
    assert [s.id for s in catalog.skills_in("exec")] == ["plan"]
    assert catalog.skills_in("lead") == ()
    assert catalog.pass_mark("m1/q") == 0.9
    assert catalog.pass_mark("m1/ex") == 0.6
    assert catalog.pass_mark("unknown") == 0.6


def test_a_catalog_cannot_be_changed_or_hashed(catalog: Catalog) -> None:
    with pytest.raises(TypeError):
        catalog.activities["x"] = catalog.activities["p"]  # type: ignore[index]
    with pytest.raises(TypeError):
        hash(catalog)
