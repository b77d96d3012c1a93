"""The part of a tenant's catalog an analytics request asks about (program > course > module)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from stride.catalog.model import Catalog, CatalogActivity
from stride.errors import FieldError, InvalidInput, NotFound


@dataclass(frozen=True)
class Scope:
    program: str | None = None
    course: str | None = None
    module: str | None = None

    @property
    def narrowest(self) -> tuple[str, str] | None:
        """(level, id) of the narrowest filter given, or None for the whole catalog."""
        for level, value in (("module", self.module), ("course", self.course)):
            if value is not None:
                return level, value
        return ("program", self.program) if self.program is not None else None


def _check(catalog: Catalog, level: str, activity_id: str) -> CatalogActivity:
    activity = catalog.activities.get(activity_id)
    if activity is None or activity.type != level:
        raise NotFound(f"The catalog has no {level} {activity_id!r}.")
    return activity


def resolve(catalog: Catalog | None, scope: Scope) -> Catalog | None:
    """Check that each filter names an activity of its level, and that they nest.

    Raises NotFound for an unknown id (or any filter without a catalog), InvalidInput when
    a course is not under the program given (or a module not under the course).
    """
    if scope.narrowest is None:
        return catalog
    if catalog is None:
        raise NotFound("This tenant has no catalog, so it has no programs, courses or modules.")
    given = [
        (level, value)
        for level, value in (
            ("program", scope.program),
            ("course", scope.course),
            ("module", scope.module),
        )
        if value is not None
    ]
    for level, value in given:
        _check(catalog, level, value)
    for (outer_level, outer), (inner_level, inner) in pairwise(given):
        if outer not in catalog.ancestors(inner):
            raise InvalidInput(
                f"The {inner_level} {inner!r} is not part of the {outer_level} {outer!r}.",
                [FieldError(inner_level, f"not under {outer_level} {outer!r}")],
            )
    return catalog


def modules_in(catalog: Catalog, scope: Scope) -> list[CatalogActivity]:
    """The catalog's modules within the scope, in document order."""
    narrowest = scope.narrowest
    modules = [a for a in catalog.activities.values() if a.type == "module"]
    if narrowest is None:
        return modules
    root = narrowest[1]
    return [m for m in modules if m.id == root or root in catalog.ancestors(m.id)]


def items_in(catalog: Catalog, scope: Scope) -> list[CatalogActivity]:
    """The catalog's items within the scope, in document order."""
    narrowest = scope.narrowest
    if narrowest is None:
        return [a for a in catalog.activities.values() if a.is_item]
    return list(catalog.items_under(narrowest[1]))
