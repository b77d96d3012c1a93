"""The `certifications` catalog section: what a learner must reach to be certified in a program.

Pure: parsing and validation against the catalog, no I/O. A module requirement asks for the
module completed and, when `min_score` is above 0, for its score: the mean of the best scores
of the module's scored items (the completion tree's `average_score`), on a 0..1 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stride.catalog.sections import ParsedSection
from stride.errors import FieldError

if TYPE_CHECKING:
    from stride.catalog.model import Catalog

SECTION = "certifications"
_KEYS = frozenset(
    {
        "program",
        "name",
        "description",
        "criteria",
        "required_modules",
        "min_mastery",
        "min_hours",
        "valid_for_days",
    }
)
MAX_TEXT = 2000


@dataclass(frozen=True)
class ModuleRequirement:
    module: str
    min_score: float = 0.0


@dataclass(frozen=True)
class Certification:
    program: str
    name: str
    description: str
    criteria: str  # the narrative shown in the credential's achievement
    required_modules: tuple[ModuleRequirement, ...] = ()
    min_mastery: tuple[tuple[str, float], ...] = ()  # (skill, minimum), sorted by skill
    min_hours: float = 0.0
    valid_for_days: int | None = None

    def document(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "name": self.name,
            "description": self.description,
            "criteria": self.criteria,
            "required_modules": [
                {"module": m.module, "min_score": m.min_score} for m in self.required_modules
            ],
            "min_mastery": dict(self.min_mastery),
            "min_hours": self.min_hours,
            "valid_for_days": self.valid_for_days,
        }


def certification_for(catalog: Catalog, program_id: str) -> Certification | None:
    """The program's certification in the catalog, or None when it has none."""
    found: tuple[Certification, ...] = catalog.section(SECTION) or ()
    return next((c for c in found if c.program == program_id), None)


def parse_certifications(
    raw: object, catalog: Catalog, errors: list[FieldError]
) -> ParsedSection | None:
    """The section's certifications; problems go to `errors` under `certifications[i]...`."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        errors.append(FieldError(SECTION, "must be a list of certifications"))
        return None
    parsed: list[Certification] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        path = f"{SECTION}[{index}]"
        before = len(errors)
        certification = _certification(entry, path, catalog, errors)
        if certification is not None and certification.program in seen:
            errors.append(FieldError(f"{path}.program", "this program is certified twice"))
        if certification is not None and len(errors) == before:
            seen.add(certification.program)
            parsed.append(certification)
    value = tuple(parsed)
    return ParsedSection(value, [c.document() for c in value])


def _certification(
    entry: object, path: str, catalog: Catalog, errors: list[FieldError]
) -> Certification | None:
    if not isinstance(entry, Mapping):
        errors.append(FieldError(path, "must be an object"))
        return None
    for key in sorted(set(entry) - _KEYS):
        errors.append(FieldError(f"{path}.{key}", "unknown field"))
    program = entry.get("program")
    activity = catalog.activities.get(program) if isinstance(program, str) else None
    if activity is None or activity.type != "program" or not isinstance(program, str):
        errors.append(FieldError(f"{path}.program", "must be the id of a program of the catalog"))
        return None
    name = _text(entry.get("name"), f"{path}.name", errors, required=True)
    description = _text(entry.get("description"), f"{path}.description", errors)
    modules = _modules(entry.get("required_modules"), program, path, catalog, errors)
    mastery = _mastery(entry.get("min_mastery"), f"{path}.min_mastery", catalog, errors)
    hours = _number(entry.get("min_hours", 0), f"{path}.min_hours", errors, upper=100_000)
    valid = entry.get("valid_for_days")
    if valid is not None and (
        not isinstance(valid, int) or isinstance(valid, bool) or not 1 <= valid <= 36_500
    ):
        errors.append(FieldError(f"{path}.valid_for_days", "must be a whole number of days, 1+"))
        valid = None
    criteria = _text(entry.get("criteria"), f"{path}.criteria", errors)
    narrative = criteria or _narrative(activity.title, modules, mastery, hours)
    return Certification(program, name, description, narrative, modules, mastery, hours, valid)


def _text(value: object, path: str, errors: list[FieldError], required: bool = False) -> str:
    if (value is None or value == "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        errors.append(FieldError(path, f"must be a non-empty text of at most {MAX_TEXT} chars"))
        return ""
    return value.strip()


def _number(value: object, path: str, errors: list[FieldError], upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= upper:
        errors.append(FieldError(path, f"must be a number from 0 to {upper:g}"))
        return 0.0
    return float(value)


def _modules(
    raw: object, program: str, path: str, catalog: Catalog, errors: list[FieldError]
) -> tuple[ModuleRequirement, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append(FieldError(f"{path}.required_modules", "must be a list"))
        return ()
    found: dict[str, ModuleRequirement] = {}
    for index, entry in enumerate(raw):
        at = f"{path}.required_modules[{index}]"
        if not isinstance(entry, Mapping):
            errors.append(FieldError(at, "must be an object with `module` and `min_score`"))
            continue
        for key in sorted(set(entry) - {"module", "min_score"}):
            errors.append(FieldError(f"{at}.{key}", "unknown field"))
        module = entry.get("module")
        activity = catalog.activities.get(module) if isinstance(module, str) else None
        if activity is None or activity.type != "module" or not isinstance(module, str):
            errors.append(FieldError(f"{at}.module", "must be the id of a module of the catalog"))
            continue
        if program not in catalog.ancestors(module):
            errors.append(FieldError(f"{at}.module", f"is not a module of {program!r}"))
            continue
        if module in found:
            errors.append(FieldError(f"{at}.module", "is required twice"))
            continue
        score = _number(entry.get("min_score", 0), f"{at}.min_score", errors, upper=1)
        found[module] = ModuleRequirement(module, score)
    return tuple(found.values())


def _mastery(
    raw: object, path: str, catalog: Catalog, errors: list[FieldError]
) -> tuple[tuple[str, float], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        errors.append(FieldError(path, "must map skill ids to a minimum mastery (0..1)"))
        return ()
    found = []
    for skill, minimum in raw.items():
        if skill not in catalog.skills:
            errors.append(FieldError(f"{path}.{skill}", "is not a skill of the catalog"))
            continue
        found.append((str(skill), _number(minimum, f"{path}.{skill}", errors, upper=1)))
    return tuple(sorted(found))


def _narrative(
    title: str,
    modules: tuple[ModuleRequirement, ...],
    mastery: tuple[tuple[str, float], ...],
    hours: float,
) -> str:
    """A criteria text spelled out from the requirements, when the catalog gives none."""
    parts = []
    for m in modules:
        score = f" with a score of at least {m.min_score:.0%}" if m.min_score > 0 else ""
        parts.append(f"completed module {m.module}{score}")
    parts += [f"reached {p:.0%} mastery of {skill}" for skill, p in mastery]
    if hours > 0:
        parts.append(f"studied at least {hours:g} hours")
    if not parts:
        return f"Took part in the program {title}."
    return f"In the program {title}, the learner " + "; ".join(parts) + "."
