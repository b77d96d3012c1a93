"""A tenant's validated learning structure: programs > courses > modules > items, and skills."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, TypeVar

MasteryModel = Literal["bkt", "heuristic"]
T = TypeVar("T")

CONTAINER_TYPES: Final = ("program", "course", "module")
ITEM_TYPES: Final = ("lesson", "block", "exercise", "assessment")
ACTIVITY_TYPES: Final = (*CONTAINER_TYPES, *ITEM_TYPES)

# The type each type's parent must have; a program stands at the top.
PARENT_TYPE: Final[Mapping[str, str | None]] = MappingProxyType(
    {
        "program": None,
        "course": "program",
        "module": "course",
        **dict.fromkeys(ITEM_TYPES, "module"),
    }
)

DEFAULT_MASTERY_THRESHOLD: Final = 0.95
DEFAULT_PASS_SCORE: Final = 0.7


def is_item(activity_type: str) -> bool:
    return activity_type in ITEM_TYPES


@dataclass(frozen=True, slots=True)
class Dimension:
    """A competency dimension skills roll up to (e.g. communication)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SkillBkt:
    """Fixed BKT parameters of a skill; without them mastery uses its defaults or a fit."""

    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0


@dataclass(frozen=True, slots=True)
class Skill:
    id: str
    name: str
    dimension: str | None = None
    weight: float = 1.0
    bkt: SkillBkt | None = None


@dataclass(frozen=True, slots=True)
class CatalogActivity:
    """One node of the tree; `estimated_minutes` of a container is resolved (given or summed)."""

    id: str
    type: str
    title: str
    parent: str | None = None
    required: bool = True
    weight: float = 1.0
    estimated_minutes: int = 0
    skills: tuple[str, ...] = ()
    pass_score: float | None = None
    prerequisites: tuple[str, ...] = ()

    @property
    def is_item(self) -> bool:
        return is_item(self.type)


@dataclass(frozen=True, slots=True)
class Readiness:
    """Thresholds on the 0..100 scores of a learner's last `window` attempts."""

    advanced_mean: float = 85.0
    advanced_sd: float = 10.0
    proficient_mean: float = 70.0
    proficient_sd: float = 15.0
    developing_mean: float = 50.0
    window: int = 5


@dataclass(frozen=True, eq=True)
class Catalog:
    """A validated catalog with O(1) lookups; build it with `parse_catalog`, not by hand.

    The constructor trusts its input (ids unique, parents known, no loops): validation lives
    in `stride.catalog.validation`, which is the only place that should call it.
    """

    name: str | None
    mastery_model: MasteryModel
    mastery_threshold: float
    pass_score: float
    readiness: Readiness
    dimensions: tuple[Dimension, ...]
    skills: Mapping[str, Skill]
    activities: Mapping[str, CatalogActivity]
    # Containers whose estimate the document states; the others get the sum of their items,
    # recomputed on every parse so an edited item never leaves a stale total behind.
    estimates_given: frozenset[str] = frozenset()
    # Parsed sections of other capabilities (catalog/sections.py) and their documents.
    sections: Mapping[str, Any] = field(default_factory=dict)
    section_documents: Mapping[str, Any] = field(default_factory=dict, compare=False)

    _children: Mapping[str, tuple[CatalogActivity, ...]] = field(
        init=False, repr=False, compare=False
    )
    _items_under: Mapping[str, tuple[CatalogActivity, ...]] = field(
        init=False, repr=False, compare=False
    )
    _ancestors: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _skills_in: Mapping[str, tuple[Skill, ...]] = field(init=False, repr=False, compare=False)
    _programs: tuple[CatalogActivity, ...] = field(init=False, repr=False, compare=False)

    # The mappings inside make a field hash fail late and obscurely; say it up front.
    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        activities = dict(self.activities)
        children: dict[str, list[CatalogActivity]] = {a: [] for a in activities}
        for activity in activities.values():
            if activity.parent is not None:
                children[activity.parent].append(activity)
        ancestors = {a: _chain(a, activities) for a in activities}
        items: dict[str, list[CatalogActivity]] = {a: [] for a in activities}
        for activity in activities.values():
            if activity.is_item:
                items[activity.id].append(activity)
                for ancestor in ancestors[activity.id]:
                    items[ancestor].append(activity)
        skills_in: dict[str, list[Skill]] = {d.id: [] for d in self.dimensions}
        for skill in self.skills.values():
            if skill.dimension is not None:
                skills_in.setdefault(skill.dimension, []).append(skill)
        _set(self, "activities", MappingProxyType(activities))
        _set(self, "skills", MappingProxyType(dict(self.skills)))
        _set(self, "_children", _freeze(children))
        _set(self, "_items_under", _freeze(items))
        _set(self, "_ancestors", MappingProxyType(ancestors))
        _set(self, "_skills_in", _freeze(skills_in))
        _set(self, "_programs", tuple(a for a in activities.values() if a.type == "program"))

    def section(self, name: str) -> Any:
        """The parsed section `name` (catalog/sections.py), or None when the catalog has none."""
        return self.sections.get(name)

    def children(self, activity_id: str) -> tuple[CatalogActivity, ...]:
        return self._children.get(activity_id, ())

    def items_under(self, activity_id: str) -> tuple[CatalogActivity, ...]:
        """The items (leaves) under an activity in document order; an item is under itself."""
        return self._items_under.get(activity_id, ())

    def ancestors(self, activity_id: str) -> tuple[str, ...]:
        """Ids from the parent up to the program; () for a program or an unknown id."""
        return self._ancestors.get(activity_id, ())

    def module_of(self, item_id: str) -> str | None:
        for ancestor in self.ancestors(item_id):
            if self.activities[ancestor].type == "module":
                return ancestor
        return None

    def skills_of(self, activity_id: str) -> tuple[str, ...]:
        activity = self.activities.get(activity_id)
        return activity.skills if activity is not None else ()

    def pass_mark(self, activity_id: str) -> float:
        activity = self.activities.get(activity_id)
        if activity is None or activity.pass_score is None:
            return self.pass_score
        return activity.pass_score

    def skills_in(self, dimension_id: str) -> tuple[Skill, ...]:
        return self._skills_in.get(dimension_id, ())

    def programs(self) -> tuple[CatalogActivity, ...]:
        return self._programs

    def mastery_fingerprint(self) -> str:
        """SHA-256 over only what mastery depends on; equal fingerprints need no refold."""
        items = sorted(
            (a.id, sorted(a.skills), self.pass_mark(a.id))
            for a in self.activities.values()
            if a.is_item
        )
        bkt = sorted(
            (s.id, [s.bkt.prior, s.bkt.learn, s.bkt.guess, s.bkt.slip, s.bkt.forget])
            for s in self.skills.values()
            if s.bkt is not None
        )
        basis = [self.mastery_model, self.mastery_threshold, self.pass_score, items, bkt]
        text = json.dumps(basis, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()


def _chain(activity_id: str, activities: Mapping[str, CatalogActivity]) -> tuple[str, ...]:
    chain: list[str] = []
    parent = activities[activity_id].parent
    while parent is not None and parent in activities and parent not in chain:
        chain.append(parent)
        parent = activities[parent].parent
    return tuple(chain)


def _freeze(groups: Mapping[str, Iterable[T]]) -> Mapping[str, tuple[T, ...]]:
    return MappingProxyType({key: tuple(values) for key, values in groups.items()})


def _set(catalog: Catalog, name: str, value: object) -> None:
    # Indexes are built once, after the frozen dataclass's own __init__.
    object.__setattr__(catalog, name, value)
