"""Competency radar: per dimension, the weighted mean mastery of its skills, now and by week."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class DimensionSkill:
    skill_id: str
    weight: float


@dataclass(frozen=True, slots=True)
class DimensionScore:
    dimension_id: str
    name: str
    mastery: float | None  # None for a dimension without skills
    skills: int
    practised: int  # skills of the dimension the learner has graded attempts on


@dataclass(frozen=True, slots=True)
class RadarWeek:
    week: date
    dimensions: tuple[DimensionScore, ...]


def radar(
    dimensions: Sequence[tuple[str, str]],
    skills_of: Mapping[str, Sequence[DimensionSkill]],
    mastery: Mapping[str, float],
    untouched: Callable[[str], float],
) -> tuple[DimensionScore, ...]:
    """`mastery` holds the practised skills; `untouched(skill)` is the value of the others
    (BKT: the skill's prior, as that is P(mastery) before any evidence)."""
    scores = []
    for dimension_id, name in dimensions:
        members = skills_of.get(dimension_id, ())
        total = sum(s.weight for s in members)
        if not members or total <= 0:
            scores.append(DimensionScore(dimension_id, name, None, len(members), 0))
            continue
        weighted = sum(
            s.weight * (mastery[s.skill_id] if s.skill_id in mastery else untouched(s.skill_id))
            for s in members
        )
        practised = sum(1 for s in members if s.skill_id in mastery)
        scores.append(DimensionScore(dimension_id, name, weighted / total, len(members), practised))
    return tuple(scores)


def radar_history(
    dimensions: Sequence[tuple[str, str]],
    skills_of: Mapping[str, Sequence[DimensionSkill]],
    weekly: Mapping[str, Sequence[tuple[date, float]]],
    weeks: Sequence[date],
    untouched: Callable[[str], float],
) -> list[RadarWeek]:
    """The radar at the end of each of `weeks`: every skill at its last value on or before
    that week (its weekly values are in week order)."""
    history = []
    for week in weeks:
        standing = {}
        for skill_id, values in weekly.items():
            at = bisect_right([w for w, _ in values], week)
            if at:
                standing[skill_id] = values[at - 1][1]
        history.append(RadarWeek(week, radar(dimensions, skills_of, standing, untouched)))
    return history
