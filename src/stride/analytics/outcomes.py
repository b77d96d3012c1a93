"""Learning outcomes over a period, from each learner's weekly mastery per skill.

`learner_skills.weekly` holds, per skill, P(mastery) (or the heuristic score) at the end of
each week (Monday, the learner's local days) with graded attempts. With period [start, end):

- a skill's mastery at the period start is its value at the end of the last week that ended
  by `start`; at the period end, its value in the last week that began before `end`; without
  such a week, its untouched value (BKT prior; 0 for the heuristic model);
- a dimension's mastery is the weight-averaged mastery of its skills (the radar's rule);
- the cohort of a dimension: learners with a graded attempt on one of its skills before `end`;
- growth: mean mastery at the end minus at the start, over the cohort;
- gap closure: among cohort learners below the mastery threshold at the start, the share at
  or above it at the end;
- practice vs improvement: Spearman's rho between a learner's graded attempts on skills (all
  their attempts; so read it with an open start) and the mean change of their mastery over
  the skills they practised before `end`;
- velocity: skills acquired (mastery first reached the threshold) in the period per active
  week (a week in the period with a graded attempt), per learner with an active week.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stride.analytics.correlation import Correlation, spearman

VELOCITY_BINS = (0.0, 0.25, 0.5, 1.0, 2.0)  # lower edges; the last bin is open
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True, slots=True)
class SkillStanding:
    """One learner_skills row reduced to the period: None where not practised by then."""

    learner_key: str
    skill_id: str
    attempts: int
    at_start: float | None
    at_end: float | None


@dataclass(frozen=True, slots=True)
class DimensionOutcome:
    dimension_id: str
    name: str
    learners: int
    mean_start: float
    mean_end: float
    growth: float
    below_at_start: int
    closed_gap: int
    gap_closure: float | None


@dataclass(frozen=True, slots=True)
class Quantile:
    q: float
    value: float


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float | None
    learners: int


@dataclass(frozen=True, slots=True)
class Velocity:
    learners: int
    mean: float
    quantiles: list[Quantile]
    histogram: list[Bin]


@dataclass(frozen=True)
class OutcomeRules:
    threshold: float
    dimensions: Sequence[tuple[str, str]]
    skills_of: Mapping[str, Sequence[tuple[str, float]]]  # dimension -> (skill, weight)
    untouched: Callable[[str], float]


def _learner_index(rows: Sequence[SkillStanding]) -> tuple[dict[str, int], npt.NDArray[np.intp]]:
    index: dict[str, int] = {}
    for r in rows:
        index.setdefault(r.learner_key, len(index))
    return index, np.fromiter((index[r.learner_key] for r in rows), np.intp, len(rows))


def dimension_outcomes(
    rows: Sequence[SkillStanding], rules: OutcomeRules
) -> list[DimensionOutcome]:
    """Per dimension: a learner's mastery is the untouched weighted mean plus, for each skill
    practised by the period end, its weight times (value - untouched), over the total weight."""
    dims = list(rules.dimensions)
    place = {
        skill: (d, weight)
        for d, (dimension_id, _) in enumerate(dims)
        for skill, weight in rules.skills_of.get(dimension_id, ())
    }
    totals = np.array([sum(w for _, w in rules.skills_of.get(i, ())) for i, _ in dims])
    bases = np.array(
        [sum(w * rules.untouched(s) for s, w in rules.skills_of.get(i, ())) for i, _ in dims]
    )
    practised = [r for r in rows if r.at_end is not None and r.skill_id in place]
    index, learner = _learner_index(practised)
    size = len(index) * len(dims)
    cell = learner * len(dims) + np.fromiter(
        (place[r.skill_id][0] for r in practised), np.intp, len(practised)
    )
    weight = np.fromiter((place[r.skill_id][1] for r in practised), float, len(practised))
    untouched = np.fromiter((rules.untouched(r.skill_id) for r in practised), float, len(practised))
    start = np.fromiter(
        (r.at_start if r.at_start is not None else np.nan for r in practised), float, len(practised)
    )
    end = np.fromiter((r.at_end for r in practised), float, len(practised))
    start = np.where(np.isnan(start), untouched, start)
    members = np.bincount(cell, minlength=size).reshape(-1, len(dims)) if size else None
    start_add = np.bincount(cell, weights=weight * (start - untouched), minlength=size)
    end_add = np.bincount(cell, weights=weight * (end - untouched), minlength=size)
    outcomes = []
    for d, (dimension_id, name) in enumerate(dims):
        if members is None or totals[d] <= 0:
            outcomes.append(DimensionOutcome(dimension_id, name, 0, 0.0, 0.0, 0.0, 0, 0, None))
            continue
        cohort = members[:, d] > 0
        s_values = (bases[d] + start_add.reshape(-1, len(dims))[cohort, d]) / totals[d]
        e_values = (bases[d] + end_add.reshape(-1, len(dims))[cohort, d]) / totals[d]
        below = s_values < rules.threshold
        closed = int((below & (e_values >= rules.threshold)).sum())
        n = int(cohort.sum())
        mean_start = float(s_values.mean()) if n else 0.0
        mean_end = float(e_values.mean()) if n else 0.0
        outcomes.append(
            DimensionOutcome(
                dimension_id,
                name,
                n,
                mean_start,
                mean_end,
                mean_end - mean_start,
                int(below.sum()),
                closed,
                closed / int(below.sum()) if below.any() else None,
            )
        )
    return outcomes


def practice_vs_improvement(
    rows: Sequence[SkillStanding], untouched: Callable[[str], float]
) -> Correlation:
    """Spearman of attempts (all of a learner's) against mean mastery change, per learner
    with a skill practised by the period end."""
    index, learner = _learner_index(rows)
    count = len(index)
    attempts = np.bincount(
        learner, weights=np.fromiter((r.attempts for r in rows), float, len(rows)), minlength=count
    )
    practised = np.fromiter((r.at_end is not None for r in rows), bool, len(rows))
    change = np.fromiter(
        (
            (r.at_end - (r.at_start if r.at_start is not None else untouched(r.skill_id)))
            if r.at_end is not None
            else 0.0
            for r in rows
        ),
        float,
        len(rows),
    )
    skills = np.bincount(learner, weights=practised.astype(float), minlength=count)
    total = np.bincount(learner, weights=change, minlength=count)
    keep = skills > 0
    return spearman(list(attempts[keep]), list(total[keep] / skills[keep]))


def learning_velocity(acquired: Mapping[str, int], active_weeks: Mapping[str, int]) -> list[float]:
    """Skills acquired in the period per active week in it, per learner with an active week."""
    return [acquired.get(key, 0) / weeks for key, weeks in active_weeks.items() if weeks > 0]


def velocity_summary(values: Sequence[float]) -> Velocity:
    data = np.asarray(values, dtype=float)
    quantiles = [Quantile(q, float(np.quantile(data, q))) for q in QUANTILES]
    bins = []
    for i, low in enumerate(VELOCITY_BINS):
        high = VELOCITY_BINS[i + 1] if i + 1 < len(VELOCITY_BINS) else None
        inside = (data >= low) & (data < high) if high is not None else data >= low
        bins.append(Bin(low, high, int(inside.sum())))
    return Velocity(len(data), float(data.mean()), quantiles, bins)
