"""A learner's mastery per skill and the competency radar, now and week by week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from stride.catalog import Catalog
from stride.ingest.mastery_projector import mastery_rules, week_start
from stride.learners.profile_lookup import learner_profile
from stride.progress.mastery import MasteryModel
from stride.progress.radar import DimensionScore, DimensionSkill, RadarWeek, radar, radar_history
from stride.store.catalogs import load_catalog
from stride.store.mastery import learner_skills_of

RADAR_WEEKS = 12


@dataclass(frozen=True)
class WeekValue:
    week: date
    mastery: float


@dataclass(frozen=True)
class SkillView:
    skill_id: str
    name: str | None
    dimension: str | None
    mastery: float  # P(mastery) (BKT) or the heuristic score, as the catalog's model says
    acquired: bool
    acquired_at: datetime | None
    attempts: int
    correct: int
    last_attempt_at: datetime
    history: list[WeekValue]


@dataclass(frozen=True)
class SkillsView:
    learner_key: str
    mastery_model: MasteryModel
    threshold: float
    skills: list[SkillView]
    radar: tuple[DimensionScore, ...]
    radar_history: list[RadarWeek]  # the last RADAR_WEEKS weeks, oldest first


def _dimension_skills(catalog: Catalog | None) -> dict[str, list[DimensionSkill]]:
    if catalog is None:
        return {}
    return {
        d.id: [DimensionSkill(s.id, s.weight) for s in catalog.skills_in(d.id)]
        for d in catalog.dimensions
    }


def get_skills(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> SkillsView:
    profile = learner_profile(connection, tenant_id, learner_key)
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored else None
    rules = mastery_rules(connection, tenant_id)
    states = learner_skills_of(connection, tenant_id, learner_key)

    def untouched(skill_id: str) -> float:
        # Before any evidence BKT's P(mastery) is the prior; the heuristic has nothing to score.
        return rules.params_of(skill_id).prior if rules.model == "bkt" else 0.0

    skills = []
    for state in states:
        known = catalog.skills.get(state.skill_id) if catalog else None
        history = [WeekValue(week, value) for week, value in state.weekly]
        skills.append(
            SkillView(
                skill_id=state.skill_id,
                name=known.name if known else None,
                dimension=known.dimension if known else None,
                mastery=state.value(rules.model),
                acquired=state.acquired_at is not None,
                acquired_at=state.acquired_at,
                attempts=state.attempts,
                correct=state.correct,
                last_attempt_at=state.last_attempt_at,
                history=history,
            )
        )
    dimensions = [(d.id, d.name) for d in catalog.dimensions] if catalog else []
    members = _dimension_skills(catalog)
    this_week = week_start(now, profile.timezone)
    weeks = [this_week - timedelta(weeks=n) for n in range(RADAR_WEEKS - 1, -1, -1)]
    return SkillsView(
        learner_key=learner_key,
        mastery_model=rules.model,
        threshold=rules.threshold,
        skills=skills,
        radar=radar(dimensions, members, {s.skill_id: s.mastery for s in skills}, untouched),
        radar_history=radar_history(
            dimensions, members, {s.skill_id: s.weekly for s in states}, weeks, untouched
        ),
    )
