"""The catalog document's schema (strict Pydantic models) and its normalized form."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from stride.catalog.model import (
    DEFAULT_MASTERY_THRESHOLD,
    DEFAULT_PASS_SCORE,
    Catalog,
    CatalogActivity,
    Readiness,
    Skill,
)
from stride.events.schema import MAX_ID_LENGTH, MAX_SKILLS

MAX_ACTIVITIES = 20_000
MAX_SKILLS_IN_CATALOG = 2_000
MAX_DIMENSIONS = 100
MAX_TITLE_LENGTH = 500
MAX_PREREQUISITES = 100
MAX_READINESS_WINDOW = 100
# A year of study; beyond that an estimate is a typo, not a plan.
MAX_ESTIMATED_MINUTES = 525_600

Identifier = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"\S")]
Title = Annotated[StrictStr, Field(min_length=1, max_length=MAX_TITLE_LENGTH, pattern=r"\S")]
# Strict floats still take integers, so `weight: 1` in YAML is fine.
Probability = Annotated[StrictFloat, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Positive = Annotated[StrictFloat, Field(gt=0.0, le=1e6, allow_inf_nan=False)]
Score100 = Annotated[StrictFloat, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
DEFAULT_READINESS = Readiness()
ActivityType = Literal["program", "course", "module", "lesson", "block", "exercise", "assessment"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class MasteryDoc(_Strict):
    model: Literal["bkt", "heuristic"] = "bkt"
    # Below one half, "acquired" would mean "more likely unknown than known".
    threshold: Annotated[StrictFloat, Field(gt=0.5, lt=1.0)] = DEFAULT_MASTERY_THRESHOLD
    pass_score: Probability = DEFAULT_PASS_SCORE


class LevelDoc(_Strict):
    mean: Score100 | None = None
    sd: Annotated[StrictFloat, Field(ge=0.0, le=100.0, allow_inf_nan=False)] | None = None


class DevelopingDoc(_Strict):
    mean: Score100 | None = None


class ReadinessDoc(_Strict):
    advanced: LevelDoc = LevelDoc()
    proficient: LevelDoc = LevelDoc()
    developing: DevelopingDoc = DevelopingDoc()
    window: Annotated[StrictInt, Field(ge=1, le=MAX_READINESS_WINDOW)] = DEFAULT_READINESS.window


class EntryDoc(_Strict):
    """An entry of the dimensions, skills or activities list."""

    id: Identifier


class DimensionDoc(EntryDoc):
    name: Title | None = None


class BktDoc(_Strict):
    prior: Probability
    learn: Probability
    guess: Probability
    slip: Probability
    forget: Probability = 0.0


class SkillDoc(EntryDoc):
    name: Title | None = None
    dimension: Identifier | None = None
    weight: Positive = 1.0
    bkt: BktDoc | None = None


class ActivityDoc(EntryDoc):
    type: ActivityType
    title: Title | None = None
    parent: Identifier | None = None
    required: StrictBool = True
    weight: Positive = 1.0
    estimated_minutes: Annotated[StrictInt, Field(ge=0, le=MAX_ESTIMATED_MINUTES)] | None = None
    skills: Annotated[list[Identifier], Field(max_length=MAX_SKILLS, default_factory=list)]
    pass_score: Probability | None = None
    # Factories, not `= []`: a list default is deep-copied for each of 20,000 activities.
    prerequisites: Annotated[
        list[Identifier], Field(max_length=MAX_PREREQUISITES, default_factory=list)
    ]


class CatalogHead(_Strict):
    """The document's top level; list entries are validated one by one to report each."""

    name: Title | None = None
    mastery: MasteryDoc = MasteryDoc()
    readiness: ReadinessDoc = ReadinessDoc()
    dimensions: list[Any] = Field(default_factory=list)
    skills: list[Any] = Field(default_factory=list)
    activities: list[Any] = Field(default_factory=list)
    # Sections of other capabilities, validated by them (catalog/sections.py).
    achievements: Any = None
    points: Any = None
    certifications: Any = None
    streaks: Any = None
    leaderboards: Any = None


def readiness_of(doc: ReadinessDoc) -> Readiness:
    default = DEFAULT_READINESS
    return Readiness(
        advanced_mean=_or(doc.advanced.mean, default.advanced_mean),
        advanced_sd=_or(doc.advanced.sd, default.advanced_sd),
        proficient_mean=_or(doc.proficient.mean, default.proficient_mean),
        proficient_sd=_or(doc.proficient.sd, default.proficient_sd),
        developing_mean=_or(doc.developing.mean, default.developing_mean),
        window=doc.window,
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def catalog_document(catalog: Catalog) -> dict[str, object]:
    """The catalog as a plain document with every default filled in, for storage and GET.

    `parse_catalog(catalog_document(c)) == c`. A container's estimate is written only when the
    source document gave it; otherwise it stays the sum of its items.
    """
    r = catalog.readiness
    return {
        "name": catalog.name,
        "mastery": {
            "model": catalog.mastery_model,
            "threshold": catalog.mastery_threshold,
            "pass_score": catalog.pass_score,
        },
        "readiness": {
            "advanced": {"mean": r.advanced_mean, "sd": r.advanced_sd},
            "proficient": {"mean": r.proficient_mean, "sd": r.proficient_sd},
            "developing": {"mean": r.developing_mean},
            "window": r.window,
        },
        "dimensions": [{"id": d.id, "name": d.name} for d in catalog.dimensions],
        "skills": [_skill_document(s) for s in catalog.skills.values()],
        "activities": [
            _activity_document(a, a.id in catalog.estimates_given)
            for a in catalog.activities.values()
        ],
        **catalog.section_documents,
    }


def _skill_document(skill: Skill) -> dict[str, object]:
    document: dict[str, object] = {
        "id": skill.id,
        "name": skill.name,
        "dimension": skill.dimension,
        "weight": skill.weight,
        "bkt": None,
    }
    if skill.bkt is not None:
        b = skill.bkt
        document["bkt"] = {
            "prior": b.prior,
            "learn": b.learn,
            "guess": b.guess,
            "slip": b.slip,
            "forget": b.forget,
        }
    return document


def _activity_document(activity: CatalogActivity, estimate_given: bool) -> dict[str, object]:
    document: dict[str, object] = {
        "id": activity.id,
        "type": activity.type,
        "title": activity.title,
        "parent": activity.parent,
        "required": activity.required,
        "weight": activity.weight,
    }
    if activity.is_item or estimate_given:
        document["estimated_minutes"] = activity.estimated_minutes
    if activity.is_item:
        document["skills"] = list(activity.skills)
        document["pass_score"] = activity.pass_score
    document["prerequisites"] = list(activity.prerequisites)
    return document
