"""Catalog sections owned by other capabilities: achievements, points, certifications, streaks
and leaderboards.

Each capability validates its section against the rest of the catalog (the ids it names must
exist) and reports problems on the section's paths, so a catalog is still applied whole or not
at all. The parsed value is what the capability reads at run time (`Catalog.section(name)`);
the normalized document is what `GET /v1/catalog` shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stride.errors import FieldError

if TYPE_CHECKING:
    from stride.catalog.model import Catalog


@dataclass(frozen=True)
class ParsedSection:
    value: Any  # compared in Catalog equality: make it a frozen dataclass or a tuple of them
    document: Any  # plain JSON, every default filled in; parsing it again gives `value`


# (raw section or None when absent, the catalog without its sections, errors to append to)
SectionParser = Callable[[object, "Catalog", list[FieldError]], ParsedSection | None]

# The top-level keys, in the order errors and documents list them.
SECTION_NAMES = ("achievements", "points", "certifications", "streaks", "leaderboards")


def section_parsers() -> dict[str, SectionParser]:
    """The parser of each section; imported here, late, because they import the catalog."""
    from stride.achievements.definitions import parse_achievements
    from stride.achievements.points import parse_points
    from stride.catalog.engagement import parse_leaderboards, parse_streaks
    from stride.certificates.requirements import parse_certifications

    return {
        "achievements": parse_achievements,
        "points": parse_points,
        "certifications": parse_certifications,
        "streaks": parse_streaks,
        "leaderboards": parse_leaderboards,
    }


def parse_sections(
    head_values: dict[str, object], catalog: Catalog, errors: list[FieldError]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(parsed values, normalized documents) of every section (a parser may return None for an
    absent one)."""
    values: dict[str, Any] = {}
    documents: dict[str, Any] = {}
    parsers = section_parsers()
    for name in SECTION_NAMES:
        parsed = parsers[name](head_values.get(name), catalog, errors)
        if parsed is not None:
            values[name] = parsed.value
            documents[name] = parsed.document
    return values, documents
