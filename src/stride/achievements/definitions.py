"""Achievement definitions: Stride's defaults and the catalog section `achievements`.

The section is a list of achievements, or `{"defaults": false, "items": [...]}` to drop the
defaults. An item with a default's id and only `id`/`enabled` switches that default on or
off; with a name and criteria it replaces it. Other items add achievements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from stride.achievements.criteria import Criteria, CriteriaError, criteria_document, parse_criteria
from stride.catalog.sections import ParsedSection
from stride.errors import FieldError
from stride.events.types import EVENT_TYPE_PATTERN

if TYPE_CHECKING:
    from stride.catalog.model import Catalog

ACHIEVEMENT_TYPES: Final = (
    "milestone",
    "streak",
    "mastery",
    "challenge",
    "improvement",
    "completion",
)
MAX_ACHIEVEMENTS: Final = 200
MAX_POINTS: Final = 1_000_000
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_FIELDS: Final = {"id", "name", "description", "type", "points", "icon", "criteria", "enabled"}
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)


@dataclass(frozen=True, slots=True)
class AchievementDef:
    id: str
    name: str
    description: str
    type: str
    points: int
    criteria: Criteria
    icon: str | None = None
    enabled: bool = True
    default: bool = False  # shipped by Stride

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "points": self.points,
            "icon": self.icon,
            "criteria": criteria_document(self.criteria),
            "enabled": self.enabled,
        }


def _default(id_: str, name: str, description: str, kind: str, points: int, rule: str) -> Any:
    criteria = parse_criteria(rule, lambda _kind, _ref: None)
    return AchievementDef(id_, name, description, kind, points, criteria, default=True)


DEFAULT_ACHIEVEMENTS: Final[tuple[AchievementDef, ...]] = (
    _default(
        "one-week-streak",
        "One Week Streak",
        "Active seven days in a row.",
        "streak",
        50,
        "streak.current >= 7",
    ),
    _default(
        "skill-builder-1",
        "Skill Builder Level 1",
        "Five skills acquired.",
        "mastery",
        50,
        "skills.acquired >= 5",
    ),
    _default(
        "first-module-completed",
        "First Module Completed",
        "A whole module completed.",
        "completion",
        20,
        "modules.completed >= 1",
    ),
    _default(
        "first-perfect-score",
        "First Perfect Score",
        "Full marks on an attempt.",
        "milestone",
        10,
        "score.perfect >= 1",
    ),
)
_DEFAULT_IDS: Final = {d.id: d for d in DEFAULT_ACHIEVEMENTS}


def effective_achievements(
    section: tuple[AchievementDef, ...] | None,
) -> tuple[AchievementDef, ...]:
    """Every definition in force for a tenant (disabled ones included): the section's, or
    the defaults when the catalog has no section."""
    return DEFAULT_ACHIEVEMENTS if section is None else section


def known_ids(catalog: Catalog) -> Any:
    """The id check criteria run against this catalog."""

    def check(kind: str, ref: str) -> str | None:
        if kind in ("module", "course", "program", "activity"):
            activity = catalog.activities.get(ref)
            if activity is None:
                return f"the catalog has no activity {ref[:80]!r}"
            if kind != "activity" and activity.type != kind:
                return f"{ref[:80]!r} is a {activity.type}, not a {kind}"
            return None
        if kind == "mastery":
            return None if ref in catalog.skills else f"the catalog has no skill {ref[:80]!r}"
        if kind == "improvement":
            dimensions = {d.id for d in catalog.dimensions}
            return None if ref in dimensions else f"the catalog has no dimension {ref[:80]!r}"
        return None if _EVENT_TYPE.fullmatch(ref) else f"{ref[:80]!r} is not an event type"

    return check


def parse_achievements(
    raw: object, catalog: Catalog, errors: list[FieldError]
) -> ParsedSection | None:
    """The catalog parser of the section (see the module docstring for its shape)."""
    if raw is None:
        return None
    defaults, items, prefix = True, raw, "achievements"
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"defaults", "items"}
        if unknown:
            errors.append(FieldError(f"achievements.{sorted(unknown)[0]}", "unknown field"))
            return None
        defaults = raw.get("defaults", True)
        if not isinstance(defaults, bool):
            errors.append(FieldError("achievements.defaults", "must be true or false"))
            return None
        items, prefix = raw.get("items", []), "achievements.items"
    if not isinstance(items, list):
        errors.append(FieldError(prefix, "must be a list of achievements"))
        return None
    if len(items) > MAX_ACHIEVEMENTS:
        errors.append(FieldError(prefix, f"at most {MAX_ACHIEVEMENTS} achievements"))
        return None
    found = len(errors)
    merged = {d.id: d for d in DEFAULT_ACHIEVEMENTS} if defaults else {}
    documents: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = f"{prefix}[{index}]"
        parsed = _item(item, path, catalog, errors)
        if parsed is None:
            continue
        if parsed.id in seen:
            errors.append(FieldError(f"{path}.id", f"duplicate id {parsed.id!r}"))
            continue
        seen.add(parsed.id)
        merged[parsed.id] = parsed
        documents.append(_item_document(parsed))
    if len(errors) > found:
        return None
    return ParsedSection(tuple(merged.values()), {"defaults": defaults, "items": documents})


def _item_document(parsed: AchievementDef) -> dict[str, Any]:
    shipped = _DEFAULT_IDS.get(parsed.id)
    if shipped is not None and replace(shipped, enabled=parsed.enabled) == parsed:
        return {"id": parsed.id, "enabled": parsed.enabled}
    return parsed.document()


def _item(
    item: object, path: str, catalog: Catalog, errors: list[FieldError]
) -> AchievementDef | None:
    if not isinstance(item, Mapping):
        errors.append(FieldError(path, "must be a mapping"))
        return None
    unknown = sorted(set(item) - _FIELDS)
    if unknown:
        errors.append(FieldError(f"{path}.{unknown[0]}", "unknown field"))
        return None
    id_ = item.get("id")
    if not isinstance(id_, str) or _ID.fullmatch(id_) is None:
        errors.append(FieldError(f"{path}.id", "must be a lowercase id (a-z, 0-9, _ . -)"))
        return None
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.append(FieldError(f"{path}.enabled", "must be true or false"))
        return None
    if id_ in _DEFAULT_IDS and set(item) <= {"id", "enabled"}:
        return replace(_DEFAULT_IDS[id_], enabled=enabled)
    return _custom(item, path, id_, enabled, catalog, errors)


def _custom(
    item: Mapping[str, Any],
    path: str,
    id_: str,
    enabled: bool,
    catalog: Catalog,
    errors: list[FieldError],
) -> AchievementDef | None:
    before = len(errors)
    name, description, icon = item.get("name"), item.get("description", ""), item.get("icon")
    kind, points = item.get("type", "milestone"), item.get("points", 0)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors.append(FieldError(f"{path}.name", "required: a name of 1 to 200 characters"))
    if not isinstance(description, str) or len(description) > 2000:
        errors.append(FieldError(f"{path}.description", "must be text of at most 2000 characters"))
    if icon is not None and (not isinstance(icon, str) or len(icon) > 500):
        errors.append(FieldError(f"{path}.icon", "must be text of at most 500 characters"))
    if kind not in ACHIEVEMENT_TYPES:
        errors.append(FieldError(f"{path}.type", f"must be one of {', '.join(ACHIEVEMENT_TYPES)}"))
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_POINTS:
        errors.append(
            FieldError(f"{path}.points", f"must be a whole number from 0 to {MAX_POINTS}")
        )
    if "criteria" not in item:
        errors.append(FieldError(f"{path}.criteria", "field required"))
        return None
    try:
        criteria = parse_criteria(item["criteria"], known_ids(catalog))
    except CriteriaError as exc:
        where = f"{path}.criteria" + ("" if not exc.path else f".{exc.path}")
        errors.append(FieldError(where.replace(".[", "["), exc.reason))
        return None
    if len(errors) > before:
        return None
    return AchievementDef(
        id_,
        str(name),
        str(description),
        str(kind),
        int(points),
        criteria,
        icon,
        enabled,
        default=id_ in _DEFAULT_IDS,
    )
