"""Repository for mastery: learners' skill read model and fitted BKT parameters."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from stride.progress.bkt import BktParams
from stride.progress.mastery import SkillMastery
from stride.store.bulk import insert_rows, select_by_keys, select_by_learners
from stride.store.tables import learner_skills, skill_parameters

_SKILL_COLUMNS = (
    "learner_key",
    "skill_id",
    "p_mastery",
    "attempts",
    "correct",
    "last_attempt_at",
    "last_attempt_event",
    "acquired_at",
    "recent",
    "weekly",
)


def mastery_from_row(row: Any) -> SkillMastery:
    """A learner_skills row, columns in SkillMastery's field order."""
    key, skill, p, attempts, correct, last_at, last_event, acquired, recent, weekly = row
    return SkillMastery(
        key,
        skill,
        p,
        attempts,
        correct,
        last_at,
        last_event,
        acquired,
        tuple(recent),
        tuple((date.fromisoformat(week), value) for week, value in weekly),
    )


def load_skills(
    connection: Connection, tenant_id: str, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], SkillMastery]:
    """The (learner, skill) rows that exist among `pairs`."""
    if not pairs:
        return {}
    rows = select_by_keys(
        connection, learner_skills, _SKILL_COLUMNS, tenant_id, ("learner_key", "skill_id"), pairs
    )
    loaded = (mastery_from_row(row) for row in rows)
    return {(m.learner_key, m.skill_id): m for m in loaded}


def learner_skills_of(
    connection: Connection, tenant_id: str, learner_key: str
) -> list[SkillMastery]:
    rows = select_by_learners(connection, learner_skills, _SKILL_COLUMNS, tenant_id, [learner_key])
    return sorted((mastery_from_row(row) for row in rows), key=lambda m: m.skill_id)


def save_skills(connection: Connection, tenant_id: str, skills: Iterable[SkillMastery]) -> None:
    rows = [
        (
            tenant_id,
            m.learner_key,
            m.skill_id,
            m.p_bkt,
            m.attempts,
            m.correct,
            m.last_attempt_at,
            m.last_attempt_event,
            m.acquired_at,
            list(m.recent),
            [[week.isoformat(), value] for week, value in m.weekly],
        )
        for m in skills
    ]
    insert_rows(connection, learner_skills, ("tenant_id", *_SKILL_COLUMNS), rows, "update")


@dataclass(frozen=True)
class FittedParameters:
    skill_id: str
    params: BktParams
    attempts: int
    learners: int
    log_likelihood: float
    fitted_at: datetime


def load_parameters(connection: Connection, tenant_id: str) -> dict[str, FittedParameters]:
    rows = connection.execute(
        select(skill_parameters).where(skill_parameters.c.tenant_id == tenant_id)
    )
    return {
        row.skill_id: FittedParameters(
            row.skill_id,
            BktParams(row.prior, row.learn, row.guess, row.slip, row.forget),
            row.attempts,
            row.learners,
            row.log_likelihood,
            row.fitted_at,
        )
        for row in rows
    }


def replace_parameters(
    connection: Connection, tenant_id: str, fitted: Mapping[str, FittedParameters]
) -> None:
    """Make `fitted` the tenant's whole set of fitted parameters."""
    connection.execute(delete(skill_parameters).where(skill_parameters.c.tenant_id == tenant_id))
    if fitted:
        connection.execute(
            skill_parameters.insert(),
            [
                {
                    "tenant_id": tenant_id,
                    "skill_id": f.skill_id,
                    "prior": f.params.prior,
                    "learn": f.params.learn,
                    "guess": f.params.guess,
                    "slip": f.params.slip,
                    "forget": f.params.forget,
                    "attempts": f.attempts,
                    "learners": f.learners,
                    "log_likelihood": f.log_likelihood,
                    "fitted_at": f.fitted_at,
                }
                for f in fitted.values()
            ],
        )
