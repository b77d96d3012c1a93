"""Catalog validation: every problem reported with its path, and a lossless normalized form."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from stride.catalog import Catalog, catalog_document, parse_catalog
from stride.errors import InvalidInput

Doc = dict[str, Any]

ITEMS = "lesson, block, exercise, assessment"


def tiny() -> Doc:
    """A valid catalog; the indexes of its entries are the ones the paths below use."""
    return {
        "name": "Tiny",
        "dimensions": [{"id": "exec", "name": "Execution"}],
        "skills": [
            {"id": "plan", "name": "Planning", "dimension": "exec"},
            {
                "id": "talk",
                "dimension": "exec",
                "bkt": {"prior": 0.2, "learn": 0.1, "guess": 0.2, "slip": 0.1},
            },
        ],
        "activities": [
            {"id": "p", "type": "program", "title": "Program"},  # 0
            {"id": "c", "type": "course", "parent": "p"},  # 1
            {"id": "m1", "type": "module", "parent": "c"},  # 2
            {"id": "m1/ex", "type": "exercise", "parent": "m1", "skills": ["plan"]},  # 3
            {
                "id": "m1/quiz",
                "type": "assessment",
                "parent": "m1",
                "skills": ["plan", "talk"],
                "pass_score": 0.8,
                "estimated_minutes": 20,
            },  # 4
            {"id": "m2", "type": "module", "parent": "c", "prerequisites": ["m1"]},  # 5
            {"id": "m2/l", "type": "lesson", "parent": "m2", "estimated_minutes": 15},  # 6
        ],
    }


def errors_of(document: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_catalog(document)
    assert caught.value.detail == "the catalog is not valid"
    return [(e.path, e.reason) for e in caught.value.errors]


def changed(change: Callable[[Doc], object]) -> Doc:
    document = tiny()
    change(document)
    return document


def acts(d: Doc) -> list[Doc]:
    activities: list[Doc] = d["activities"]
    return activities


CASES: list[tuple[str, Callable[[Doc], object], list[tuple[str, str]]]] = [
    (
        "duplicate activity",
        lambda d: acts(d).append({"id": "m1", "type": "module", "parent": "c"}),
        [("activities[7].id", "duplicate id m1 (first at activities[2])")],
    ),
    (
        "duplicate skill",
        lambda d: d["skills"].append({"id": "plan"}),
        [("skills[2].id", "duplicate id plan (first at skills[0])")],
    ),
    (
        "duplicate dimension",
        lambda d: d["dimensions"].append({"id": "exec"}),
        [("dimensions[1].id", "duplicate id exec (first at dimensions[0])")],
    ),
    (
        "unknown parent",
        lambda d: acts(d)[6].update(parent="nope"),
        [("activities[6].parent", "unknown activity nope")],
    ),
    (
        "wrong parent type",
        lambda d: acts(d)[5].update(parent="m1/ex"),
        [("activities[5].parent", "a module's parent must be a course, m1/ex is an exercise")],
    ),
    (
        "item under a course",
        lambda d: acts(d)[6].update(parent="c"),
        [("activities[6].parent", "a lesson's parent must be a module, c is a course")],
    ),
    (
        "missing parent",
        lambda d: acts(d)[1].pop("parent"),
        [("activities[1].parent", "a course needs a parent program")],
    ),
    (
        "program with a parent, in a loop",
        lambda d: acts(d)[0].update(parent="c"),
        [
            ("activities[0].parent", "a program has no parent"),
            ("activities[0].parent", "parent chain loops: p -> c -> p"),
        ],
    ),
    (
        "parent loop",
        lambda d: (acts(d)[2].update(parent="m2"), acts(d)[5].update(parent="m1")),
        [
            ("activities[2].parent", "a module's parent must be a course, m2 is a module"),
            ("activities[2].parent", "parent chain loops: m1 -> m2 -> m1"),
            ("activities[5].parent", "a module's parent must be a course, m1 is a module"),
        ],
    ),
    (
        "own parent",
        lambda d: acts(d)[2].update(parent="m1"),
        [
            ("activities[2].parent", "a module's parent must be a course, m1 is a module"),
            ("activities[2].parent", "parent chain loops: m1 -> m1"),
        ],
    ),
    (
        "prerequisite loop",
        lambda d: acts(d)[2].update(prerequisites=["m2"]),
        [("activities[5].prerequisites[0]", "prerequisites loop: m2 -> m1 -> m2")],
    ),
    (
        "own prerequisite",
        lambda d: acts(d)[5].update(prerequisites=["m2"]),
        [("activities[5].prerequisites[0]", "prerequisites loop: m2 -> m2")],
    ),
    (
        "unknown prerequisite",
        lambda d: acts(d)[5].update(prerequisites=["m1", "m9"]),
        [("activities[5].prerequisites[1]", "unknown activity m9")],
    ),
    (
        "prerequisite of another type",
        lambda d: acts(d)[5].update(prerequisites=["c"]),
        [
            (
                "activities[5].prerequisites[0]",
                "a module's prerequisite must be a module, c is a course",
            )
        ],
    ),
    (
        "prerequisite listed twice",
        lambda d: acts(d)[5].update(prerequisites=["m1", "m1"]),
        [("activities[5].prerequisites[1]", "m1 is listed twice")],
    ),
    (
        "unknown skill",
        lambda d: acts(d)[3].update(skills=["plan", "nope"]),
        [("activities[3].skills[1]", "unknown skill nope")],
    ),
    (
        "skill listed twice",
        lambda d: acts(d)[3].update(skills=["plan", "plan"]),
        [("activities[3].skills[1]", "plan is listed twice")],
    ),
    (
        "skills on a container",
        lambda d: acts(d)[2].update(skills=["plan"]),
        [("activities[2].skills", f"only items ({ITEMS}) carry skills; m1 is a module")],
    ),
    (
        "pass score on a container",
        lambda d: acts(d)[1].update(pass_score=0.5),
        [("activities[1].pass_score", f"only items ({ITEMS}) carry a pass_score; c is a course")],
    ),
    (
        "unknown dimension",
        lambda d: d["skills"][1].update(dimension="nope"),
        [("skills[1].dimension", "unknown dimension nope")],
    ),
    (
        "zero weight",
        lambda d: acts(d)[3].update(weight=0),
        [("activities[3].weight", "Input should be greater than 0")],
    ),
    (
        "pass score above 1",
        lambda d: acts(d)[4].update(pass_score=1.5),
        [("activities[4].pass_score", "Input should be less than or equal to 1")],
    ),
    (
        "negative estimate",
        lambda d: acts(d)[6].update(estimated_minutes=-1),
        [("activities[6].estimated_minutes", "Input should be greater than or equal to 0")],
    ),
    (
        "threshold at one half",
        lambda d: d.update(mastery={"threshold": 0.5}),
        [("mastery.threshold", "Input should be greater than 0.5")],
    ),
    (
        "inverted bkt",
        lambda d: d["skills"][1]["bkt"].update(guess=0.6, slip=0.4),
        [("skills[1].bkt", "guess + slip must be below 1, or a correct answer lowers mastery")],
    ),
    (
        "empty readiness window",
        lambda d: d.update(readiness={"window": 0}),
        [("readiness.window", "Input should be greater than or equal to 1")],
    ),
    (
        "proficient above advanced",
        lambda d: d.update(readiness={"proficient": {"mean": 90}}),
        [("readiness.proficient.mean", "must not exceed readiness.advanced.mean (85)")],
    ),
    (
        "no skills at all",
        lambda d: d.pop("skills"),
        [
            ("activities[3].skills[0]", "unknown skill plan"),
            ("activities[4].skills[0]", "unknown skill plan"),
            ("activities[4].skills[1]", "unknown skill talk"),
        ],
    ),
    (
        "unknown field",
        lambda d: acts(d)[3].update(colour="red"),
        [("activities[3].colour", "unknown field")],
    ),
    (
        "missing id",
        lambda d: acts(d)[6].pop("id"),
        [("activities[6].id", "field required")],
    ),
    (
        "blank title",
        lambda d: acts(d)[6].update(title="  "),
        [("activities[6].title", "must not be blank")],
    ),
    (
        "string weight is not coerced",
        lambda d: acts(d)[3].update(weight="2"),
        [("activities[3].weight", "Input should be a valid number")],
    ),
    (
        "skills not a list",
        lambda d: d.update(skills={"plan": {}}),
        # Nothing is said about the skills the items reference: the list could not be read.
        [("skills", "Input should be a valid list")],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported_at_its_path(
    change: Callable[[Doc], object], expected: list[tuple[str, str]]
) -> None:
    assert errors_of(changed(change)) == expected


def test_an_entry_that_fails_the_schema_is_not_reported_again_where_it_is_referenced() -> None:
    document = changed(lambda d: acts(d)[2].update(colour="red"))
    assert errors_of(document) == [("activities[2].colour", "unknown field")]


def test_every_problem_is_reported_together_in_document_order() -> None:
    def break_everything(d: Doc) -> None:
        d["mastery"] = {"model": "irt"}
        d["skills"][0]["dimension"] = "nope"
        acts(d)[1]["weight"] = -1
        acts(d)[3]["skills"] = ["nope"]
        acts(d)[5]["prerequisites"] = ["m9"]
        acts(d)[6]["parent"] = "zz"

    paths = [path for path, _ in errors_of(changed(break_everything))]
    assert paths == [
        "mastery.model",
        "skills[0].dimension",
        "activities[1].weight",
        "activities[3].skills[0]",
        "activities[5].prerequisites[0]",
        "activities[6].parent",
    ]


@pytest.mark.parametrize("document", [None, [], "activities: []", 3])
def test_a_catalog_must_be_a_mapping(document: object) -> None:
    assert errors_of(document) == [
        ("(catalog)", "a catalog must be a mapping with an activities list")
    ]


@pytest.mark.parametrize(
    ("key", "limit"), [("activities", 20_000), ("skills", 2_000), ("dimensions", 100)]
)
def test_sizes_beyond_the_limits_are_refused_up_front(key: str, limit: int) -> None:
    document = tiny()
    document[key] = [{"id": f"x{i}"} for i in range(limit + 1)]
    assert errors_of(document) == [(key, f"at most {limit} {key} are allowed, got {limit + 1}")]


def test_defaults_are_filled_in() -> None:
    catalog = parse_catalog(tiny())
    assert (catalog.mastery_model, catalog.mastery_threshold, catalog.pass_score) == (
        "bkt",
        0.95,
        0.7,
    )
    assert catalog.readiness.window == 5
    course = catalog.activities["c"]
    assert (course.title, course.required, course.weight) == ("c", True, 1.0)
    assert catalog.skills["talk"].name == "talk"
    assert catalog.skills["talk"].bkt is not None and catalog.skills["talk"].bkt.forget == 0.0


def test_a_valid_document_round_trips_through_its_normalized_form() -> None:
    document = tiny()
    acts(document)[1]["estimated_minutes"] = 90
    catalog = parse_catalog(document)
    normalized = catalog_document(catalog)
    assert parse_catalog(normalized) == catalog
    assert parse_catalog(json.loads(json.dumps(normalized))) == catalog
    assert parse_catalog(yaml.safe_load(yaml.safe_dump(normalized))) == catalog
    assert catalog_document(parse_catalog(normalized)) == normalized
    assert list(catalog.activities) == [a["id"] for a in acts(document)]


def test_a_container_estimate_is_the_sum_of_its_items_unless_given() -> None:
    document = tiny()
    acts(document)[1]["estimated_minutes"] = 90
    catalog = parse_catalog(document)
    assert catalog.activities["m1"].estimated_minutes == 20  # 0 + 20
    assert catalog.activities["p"].estimated_minutes == 35  # 0 + 20 + 15
    assert catalog.activities["c"].estimated_minutes == 90
    written = {a["id"]: a for a in catalog_document(catalog)["activities"]}  # type: ignore[attr-defined]
    # A derived total is not frozen into the document, so editing an item updates it.
    assert "estimated_minutes" not in written["m1"]
    assert written["c"]["estimated_minutes"] == 90


def fingerprint(change: Callable[[Doc], object]) -> str:
    return parse_catalog(changed(change)).mastery_fingerprint()


def test_fingerprint_ignores_what_mastery_does_not_depend_on() -> None:
    def cosmetic(d: Doc) -> None:
        d["name"] = "Renamed"
        d["dimensions"][0]["name"] = "Doing"
        d["skills"][0].update(name="Plans", weight=3.0)
        for activity in acts(d):
            activity.update(title=activity["id"].upper(), weight=2.5, estimated_minutes=5)
        acts(d)[6]["required"] = False
        acts(d)[3], acts(d)[4] = acts(d)[4], acts(d)[3]

    assert fingerprint(cosmetic) == fingerprint(lambda d: None)
    assert len(fingerprint(lambda d: None)) == 64


@pytest.mark.parametrize(
    "change",
    [
        lambda d: acts(d)[3].update(skills=["talk"]),
        lambda d: acts(d)[4].update(skills=["plan"]),
        lambda d: acts(d)[4].update(pass_score=0.6),
        lambda d: d.update(mastery={"pass_score": 0.6}),
        lambda d: d.update(mastery={"threshold": 0.9}),
        lambda d: d.update(mastery={"model": "heuristic"}),
        lambda d: d["skills"][1]["bkt"].update(learn=0.2),
        lambda d: d["skills"][0].update(
            bkt={"prior": 0.1, "learn": 0.1, "guess": 0.1, "slip": 0.1}
        ),
    ],
)
def test_fingerprint_changes_with_what_mastery_depends_on(change: Callable[[Doc], object]) -> None:
    assert fingerprint(change) != fingerprint(lambda d: None)


def test_the_document_given_is_not_modified() -> None:
    document = tiny()
    before = copy.deepcopy(document)
    catalog: Catalog = parse_catalog(document)
    assert document == before
    assert isinstance(catalog, Catalog)


def test_a_long_loop_is_shortened_in_the_reason() -> None:
    document = tiny()
    modules = [f"n{i}" for i in range(20)]
    for i, module in enumerate(modules):
        acts(document).append(
            {"id": module, "type": "module", "parent": "c", "prerequisites": [modules[i - 1]]}
        )
    assert errors_of(document) == [
        (
            "activities[8].prerequisites[0]",
            "prerequisites loop: n1 -> n0 -> n19 -> n18 -> (13 more) -> n4 -> n3 -> n2 -> n1",
        )
    ]
