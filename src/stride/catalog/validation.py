"""Turn a catalog document into a `Catalog`, reporting every problem with its path."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from stride.catalog.document import (
    MAX_ACTIVITIES,
    MAX_DIMENSIONS,
    MAX_SKILLS_IN_CATALOG,
    ActivityDoc,
    CatalogHead,
    DimensionDoc,
    EntryDoc,
    SkillDoc,
    readiness_of,
)
from stride.catalog.graph import Entries, check_activities, check_readiness, check_skills
from stride.catalog.model import (
    Catalog,
    CatalogActivity,
    Dimension,
    Skill,
    SkillBkt,
    is_item,
)
from stride.catalog.sections import SECTION_NAMES, parse_sections
from stride.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)
D = TypeVar("D", bound=EntryDoc)

ROOT = "(catalog)"
_LIMITS = (
    ("dimensions", MAX_DIMENSIONS),
    ("skills", MAX_SKILLS_IN_CATALOG),
    ("activities", MAX_ACTIVITIES),
)
_SECTIONS = ("name", "mastery", "readiness", "dimensions", "skills", "activities", *SECTION_NAMES)


def parse_catalog(document: object) -> Catalog:
    """Validate a catalog document (as loaded from YAML or JSON) into a `Catalog`.

    Raises:
        InvalidInput: listing every problem found, each as a FieldError with its path.
    """
    if not isinstance(document, Mapping):
        raise _invalid([FieldError(ROOT, "a catalog must be a mapping with an activities list")])
    limits = [
        FieldError(key, f"at most {limit} {key} are allowed, got {len(value)}")
        for key, limit in _LIMITS
        if isinstance(value := document.get(key), list) and len(value) > limit
    ]
    if limits:
        # Refused before anything else is checked: validating it all would be the attack.
        raise _invalid(limits)
    errors: list[FieldError] = []
    head = _validate(CatalogHead, document, "", errors)
    dimensions = _entries(DimensionDoc, document.get("dimensions"), "dimensions", errors)
    skills = _entries(SkillDoc, document.get("skills"), "skills", errors)
    activities = _entries(ActivityDoc, document.get("activities"), "activities", errors)
    errors += check_skills(dimensions, skills)
    errors += check_activities(skills, activities)
    if head is not None:
        errors += check_readiness(head.readiness)
    if errors or head is None:
        raise _invalid(errors)
    catalog = _build(head, dimensions, skills, activities)
    raw_sections = {name: getattr(head, name) for name in SECTION_NAMES}
    values, documents = parse_sections(raw_sections, catalog, errors)
    if errors:
        raise _invalid(errors)
    if not values:
        return catalog
    return replace(catalog, sections=values, section_documents=documents)


def _invalid(errors: list[FieldError]) -> InvalidInput:
    return InvalidInput("the catalog is not valid", errors=sorted(errors, key=_section_order))


def _section_order(error: FieldError) -> tuple[int, int]:
    match = re.match(r"(\w+)(?:\[(\d+)\])?", error.path)
    if match is None or match.group(1) not in _SECTIONS:
        return (-1, 0)
    return (_SECTIONS.index(match.group(1)), int(match.group(2) or 0))


def _validate(model: type[M], raw: object, prefix: str, errors: list[FieldError]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors += [_field_error(prefix, e) for e in exc.errors(include_url=False)]
        return None


def _entries(model: type[D], raw: object, section: str, errors: list[FieldError]) -> Entries[D]:
    """Each entry of a list validated alone, so one bad entry hides nothing about the others."""
    entries: Entries[D] = Entries()
    if not isinstance(raw, list):
        # A missing list is empty; a mistyped one is reported by the head's own validation.
        entries.complete = raw is None
        return entries
    for index, item in enumerate(raw):
        parsed = _validate(model, item, f"{section}[{index}]", errors)
        if parsed is not None:
            entries.valid.append((index, parsed))
        elif isinstance(item, Mapping) and isinstance(item.get("id"), str):
            entries.broken_ids.add(item["id"])
    return entries


def _field_error(prefix: str, error: Any) -> FieldError:
    path = prefix
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    path = path or ROOT
    kind = error["type"]
    if kind == "extra_forbidden":
        return FieldError(path, "unknown field")
    if kind == "missing":
        return FieldError(path, "field required")
    if kind == "string_pattern_mismatch":
        return FieldError(path, "must not be blank")
    if kind == "model_type":
        return FieldError(path, "must be a mapping")
    return FieldError(path, str(error["msg"]))


def _build(
    head: CatalogHead,
    dimensions: Entries[DimensionDoc],
    skills: Entries[SkillDoc],
    activities: Entries[ActivityDoc],
) -> Catalog:
    docs = [doc for _, doc in activities.valid]
    minutes = _estimates(docs)
    return Catalog(
        name=head.name,
        mastery_model=head.mastery.model,
        mastery_threshold=head.mastery.threshold,
        pass_score=head.mastery.pass_score,
        readiness=readiness_of(head.readiness),
        dimensions=tuple(Dimension(d.id, d.name or d.id) for _, d in dimensions.valid),
        skills={s.id: _skill(s) for _, s in skills.valid},
        activities={a.id: _activity(a, minutes[a.id]) for a in docs},
        estimates_given=frozenset(
            a.id for a in docs if not is_item(a.type) and a.estimated_minutes is not None
        ),
    )


def _estimates(docs: Sequence[ActivityDoc]) -> dict[str, int]:
    """Each activity's minutes: as given, or for a container the sum of the items under it."""
    parents = {a.id: a.parent for a in docs}
    sums = dict.fromkeys(parents, 0)
    for doc in docs:
        if is_item(doc.type):
            parent = doc.parent
            while parent is not None:
                sums[parent] += doc.estimated_minutes or 0
                parent = parents[parent]
    return {
        a.id: a.estimated_minutes if a.estimated_minutes is not None else sums[a.id] for a in docs
    }


def _skill(doc: SkillDoc) -> Skill:
    bkt = None
    if doc.bkt is not None:
        b = doc.bkt
        bkt = SkillBkt(prior=b.prior, learn=b.learn, guess=b.guess, slip=b.slip, forget=b.forget)
    return Skill(doc.id, doc.name or doc.id, doc.dimension, doc.weight, bkt)


def _activity(doc: ActivityDoc, minutes: int) -> CatalogActivity:
    return CatalogActivity(
        id=doc.id,
        type=doc.type,
        title=doc.title or doc.id,
        parent=doc.parent,
        required=doc.required,
        weight=doc.weight,
        estimated_minutes=minutes,
        skills=tuple(doc.skills),
        pass_score=doc.pass_score,
        prerequisites=tuple(doc.prerequisites),
    )
