"""examples/catalog.yaml describes exactly the demo curriculum the demo generator emits."""

from __future__ import annotations

from pathlib import Path

import pytest

from stride.catalog import Catalog, load_catalog_text, parse_catalog
from stride.demo.curriculum import MODULES, PROGRAM, SKILLS

EXAMPLE = Path(__file__).parents[3] / "examples" / "catalog.yaml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return parse_catalog(load_catalog_text(EXAMPLE.read_bytes(), filename=EXAMPLE.name))


def test_every_demo_activity_is_in_the_catalog_with_its_type_parent_and_skills(
    catalog: Catalog,
) -> None:
    expected = {PROGRAM.id: (PROGRAM.type, None, ())}
    for module in MODULES:
        expected[module.course.id] = (module.course.type, PROGRAM.id, ())
        expected[module.activity.id] = (module.activity.type, module.course.id, ())
        for item in module.items:
            expected[item.id] = (item.type, module.activity.id, item.skills)
    actual = {a.id: (a.type, a.parent, a.skills) for a in catalog.activities.values()}
    assert actual == expected


def test_items_are_in_the_order_a_learner_takes_them(catalog: Catalog) -> None:
    for module in MODULES:
        assert [i.id for i in catalog.items_under(module.activity.id)] == [
            i.id for i in module.items
        ]


def test_every_demo_skill_is_in_a_dimension(catalog: Catalog) -> None:
    assert set(catalog.skills) == set(SKILLS)
    assert {d.id for d in catalog.dimensions} == {
        "strategic-thinking",
        "communication",
        "stakeholder-management",
        "execution",
        "leadership",
    }
    assert all(skill.dimension is not None for skill in catalog.skills.values())


def test_titles_estimates_and_order_are_given(catalog: Catalog) -> None:
    assert all(a.title != a.id for a in catalog.activities.values())
    assert all(i.estimated_minutes > 0 for i in catalog.items_under(PROGRAM.id))
    modules = [m.activity.id for m in MODULES if m.course.id == "pmf/c2"]
    assert [catalog.activities[m].prerequisites for m in modules] == [
        (),
        *((before,) for before in modules[:-1]),
    ]
