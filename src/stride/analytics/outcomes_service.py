"""GET /v1/analytics/outcomes: competency growth, gap closure, practice and velocity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection

from stride.analytics.correlation import Correlation
from stride.analytics.outcomes import (
    DimensionOutcome,
    OutcomeRules,
    SkillStanding,
    Velocity,
    dimension_outcomes,
    learning_velocity,
    practice_vs_improvement,
    velocity_summary,
)
from stride.ingest.mastery_projector import mastery_rules
from stride.privacy.policy_service import get_policy
from stride.privacy.small_groups import suppress_small_groups
from stride.store import analytics_learning as store
from stride.store.catalogs import load_catalog


@dataclass(frozen=True)
class OutcomesView:
    start: date | None  # None: from the learners' first attempts
    end: date  # exclusive
    mastery_model: str
    threshold: float
    min_group_size: int
    dimensions: list[DimensionOutcome]
    withheld_dimensions: int
    practice_vs_improvement: Correlation | None  # None when fewer than min_group_size learners
    velocity: Velocity | None  # skills acquired per active week; None below min_group_size
    note: str | None


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def get_outcomes(
    connection: Connection, tenant_id: str, start: date | None, end: date
) -> OutcomesView:
    k = get_policy(connection, tenant_id).document.min_group_size
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored else None
    mastery = mastery_rules(connection, tenant_id)

    def untouched(skill_id: str) -> float:
        return mastery.params_of(skill_id).prior if mastery.model == "bkt" else 0.0

    rules = OutcomeRules(
        threshold=mastery.threshold,
        dimensions=[(d.id, d.name) for d in catalog.dimensions] if catalog else [],
        skills_of={
            d.id: [(s.id, s.weight) for s in catalog.skills_in(d.id)] for d in catalog.dimensions
        }
        if catalog
        else {},
        untouched=untouched,
    )
    rows = [
        SkillStanding(*row)
        for row in store.skill_standing(
            connection,
            tenant_id,
            start - timedelta(days=7) if start is not None else None,
            end - timedelta(days=1),
        )
    ]
    dimensions = suppress_small_groups(dimension_outcomes(rows, rules), lambda d: d.learners, k)
    correlation = practice_vs_improvement(rows, untouched)
    first_week = start - timedelta(days=6) if start is not None else date.min
    velocities = learning_velocity(
        store.acquisitions(connection, tenant_id, _at(start) if start else None, _at(end)),
        store.active_weeks(connection, tenant_id, first_week, end - timedelta(days=1)),
    )
    notes = [dimensions.note] if dimensions.note else []
    if correlation.n < k or len(velocities) < k:
        notes.append(f"Figures over fewer than {k} learners are withheld.")
    return OutcomesView(
        start=start,
        end=end,
        mastery_model=mastery.model,
        threshold=mastery.threshold,
        min_group_size=k,
        dimensions=dimensions.shown,
        withheld_dimensions=dimensions.withheld_groups,
        practice_vs_improvement=correlation if correlation.n >= k else None,
        velocity=velocity_summary(velocities) if len(velocities) >= k else None,
        note=" ".join(notes) or None,
    )
