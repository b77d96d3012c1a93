"""The catalog's `streaks` and `leaderboards` sections: streak freezes and leaderboard display."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from stride.catalog.sections import ParsedSection
from stride.errors import FieldError

if TYPE_CHECKING:
    from stride.catalog.model import Catalog

MAX_FREEZES_PER_MONTH = 10
MAX_TOP = 100


@dataclass(frozen=True)
class StreakRules:
    freezes_per_month: int = 0  # missed days a streak may bridge per calendar month


@dataclass(frozen=True)
class LeaderboardRules:
    enabled: bool = True
    top: int = 10  # entries shown when the request does not say
    # Opted-in learners without a display handle: shown as "Anonymous learner", or left out.
    show_anonymous: bool = True


NO_STREAK_RULES = StreakRules()
DEFAULT_LEADERBOARD_RULES = LeaderboardRules()


def _mapping(raw: object, name: str, errors: list[FieldError]) -> dict[str, object] | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(name, "must be an object"))
        return None
    return raw


def _unknown(raw: dict[str, object], name: str, known: set[str], errors: list[FieldError]) -> None:
    errors += [FieldError(f"{name}.{key}", "unknown field") for key in sorted(set(raw) - known)]


def _integer(
    raw: dict[str, object],
    path: str,
    key: str,
    default: int,
    bounds: tuple[int, int],
    errors: list[FieldError],
) -> int:
    value = raw.get(key, default)
    low, high = bounds
    # bool is an int in Python; `true` is not a count.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(FieldError(f"{path}.{key}", f"must be an integer from {low} to {high}"))
        return default
    return value


def _boolean(
    raw: dict[str, object], path: str, key: str, default: bool, errors: list[FieldError]
) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        errors.append(FieldError(f"{path}.{key}", "must be true or false"))
        return default
    return value


def parse_streaks(raw: object, catalog: Catalog, errors: list[FieldError]) -> ParsedSection | None:
    """`streaks: {freezes_per_month: 0..10}`; None (no freezes) when absent."""
    if raw is None:
        return None
    section = _mapping(raw, "streaks", errors)
    if section is None:
        return None
    _unknown(section, "streaks", {"freezes_per_month"}, errors)
    freezes = _integer(
        section, "streaks", "freezes_per_month", 0, (0, MAX_FREEZES_PER_MONTH), errors
    )
    rules = StreakRules(freezes)
    return ParsedSection(rules, asdict(rules))


def parse_leaderboards(
    raw: object, catalog: Catalog, errors: list[FieldError]
) -> ParsedSection | None:
    """`leaderboards: {enabled, top: 1..100, show_anonymous}`; None (the defaults) when absent."""
    if raw is None:
        return None
    section = _mapping(raw, "leaderboards", errors)
    if section is None:
        return None
    _unknown(section, "leaderboards", {"enabled", "top", "show_anonymous"}, errors)
    rules = LeaderboardRules(
        enabled=_boolean(section, "leaderboards", "enabled", True, errors),
        top=_integer(section, "leaderboards", "top", 10, (1, MAX_TOP), errors),
        show_anonymous=_boolean(section, "leaderboards", "show_anonymous", True, errors),
    )
    return ParsedSection(rules, asdict(rules))


def streak_rules(catalog: Catalog | None) -> StreakRules:
    found = catalog.section("streaks") if catalog is not None else None
    return found if isinstance(found, StreakRules) else NO_STREAK_RULES


def leaderboard_rules(catalog: Catalog | None) -> LeaderboardRules:
    found = catalog.section("leaderboards") if catalog is not None else None
    return found if isinstance(found, LeaderboardRules) else DEFAULT_LEADERBOARD_RULES
