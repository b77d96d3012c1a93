"""A learner's achievements and points, read against the tenant's definitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from stride.achievements.criteria import comparisons, criteria_document
from stride.achievements.definitions import AchievementDef, effective_achievements
from stride.achievements.metrics import ConditionProgress, progress
from stride.achievements.pace import metric_rates
from stride.achievements.snapshot import load_metrics
from stride.catalog.model import Catalog
from stride.errors import NotFound
from stride.ingest.mastery_projector import week_start
from stride.learners.profile_lookup import learner_profile
from stride.progress.daily import local_day
from stride.store import achievements as store
from stride.store.catalogs import load_catalog
from stride.store.transactions import write_transaction


@dataclass(frozen=True)
class EarnedView:
    id: str
    name: str
    description: str
    type: str
    points: int
    icon: str | None
    awarded_at: datetime
    evidence: list[str]
    celebration_shown: bool
    celebration_shown_at: datetime | None


@dataclass(frozen=True)
class ProgressView:
    percent: float
    current: float | None  # of a single comparison; None for all/any (see conditions)
    required: float | None
    estimated_date: date | None  # at the recent pace; None without one
    conditions: list[ConditionProgress]


@dataclass(frozen=True)
class UnearnedView:
    id: str
    name: str
    description: str
    type: str
    points: int
    icon: str | None
    criteria: Any  # the normalized criteria document
    progress: ProgressView


@dataclass(frozen=True)
class AchievementsView:
    total_points: int
    week: date  # Monday of the learner's current local week
    week_points: int
    earned: list[EarnedView]
    unearned: list[UnearnedView]


@dataclass(frozen=True)
class WeekPoints:
    week: date
    points: int


@dataclass(frozen=True)
class PointsView:
    total_points: int
    week: date
    week_points: int
    weeks: list[WeekPoints]  # oldest first; weeks without points are left out


def definitions_of(connection: Connection, tenant_id: str) -> tuple[AchievementDef, ...]:
    """Every definition in force for the tenant, disabled ones and defaults included."""
    catalog = _catalog(connection, tenant_id)
    return effective_achievements(catalog.section("achievements") if catalog else None)


def get_achievements(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> AchievementsView:
    """Raises NotFound for a learner Stride has never seen."""
    profile = learner_profile(connection, tenant_id, learner_key)
    catalog = _catalog(connection, tenant_id)
    definitions = effective_achievements(catalog.section("achievements") if catalog else None)
    awards = store.awards_of(connection, tenant_id, learner_key)
    shown = store.celebrations_of(connection, tenant_id, learner_key)
    by_id = {d.id: d for d in definitions}
    earned = [_earned(award, by_id.get(award.achievement_id), shown) for award in awards]
    awarded = {a.achievement_id for a in awards}
    open_ = [d for d in definitions if d.enabled and d.id not in awarded]
    points = _points(connection, tenant_id, learner_key, now, profile.timezone)
    return AchievementsView(
        points.total_points,
        points.week,
        points.week_points,
        earned,
        _unearned(connection, tenant_id, learner_key, catalog, open_, now, profile.timezone),
    )


def get_points(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> PointsView:
    profile = learner_profile(connection, tenant_id, learner_key)
    return _points(connection, tenant_id, learner_key, now, profile.timezone)


def set_celebration_shown(
    engine: Engine,
    tenant_id: str,
    learner_key: str,
    achievement_id: str,
    shown: bool,
    now: datetime,
) -> EarnedView:
    """Mark an earned achievement celebrated (or not yet); NotFound when it is not earned."""
    with write_transaction(engine) as connection:
        awards = {a.achievement_id: a for a in store.awards_of(connection, tenant_id, learner_key)}
        award = awards.get(achievement_id)
        if award is None:
            raise NotFound(f"This learner has not earned an achievement {achievement_id!r}.")
        store.set_celebration(
            connection, tenant_id, learner_key, achievement_id, now if shown else None
        )
        celebrations = store.celebrations_of(connection, tenant_id, learner_key)
        by_id = {d.id: d for d in definitions_of(connection, tenant_id)}
    return _earned(award, by_id.get(achievement_id), celebrations)


def _catalog(connection: Connection, tenant_id: str) -> Catalog | None:
    stored = load_catalog(connection, tenant_id)
    return stored.catalog if stored is not None else None


def _earned(
    award: store.Award, definition: AchievementDef | None, shown: dict[str, datetime]
) -> EarnedView:
    # The award keeps its own name and points: a definition changed or removed later
    # changes neither what was earned nor when.
    shown_at = shown.get(award.achievement_id)
    return EarnedView(
        id=award.achievement_id,
        name=award.name,
        description=definition.description if definition else "",
        type=definition.type if definition else "milestone",
        points=award.points,
        icon=definition.icon if definition else None,
        awarded_at=award.awarded_at,
        evidence=list(award.evidence),
        celebration_shown=shown_at is not None,
        celebration_shown_at=shown_at,
    )


def _unearned(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    catalog: Catalog | None,
    definitions: list[AchievementDef],
    now: datetime,
    timezone: str,
) -> list[UnearnedView]:
    if not definitions:
        return []
    metrics = {c.metric for d in definitions for c in comparisons(d.criteria)}
    snapshot = load_metrics(
        connection,
        tenant_id,
        catalog,
        {learner_key: metrics},
        {learner_key: now},
        {learner_key: timezone},
        live=True,
    )[learner_key]
    rates = metric_rates(
        connection, tenant_id, learner_key, catalog, metrics, snapshot, now, timezone
    )
    today = local_day(now, timezone)
    views = []
    for d in definitions:
        result = progress(d.criteria, snapshot, rates, today)
        single = result.conditions[0] if len(result.conditions) == 1 else None
        views.append(
            UnearnedView(
                id=d.id,
                name=d.name,
                description=d.description,
                type=d.type,
                points=d.points,
                icon=d.icon,
                criteria=criteria_document(d.criteria),
                progress=ProgressView(
                    percent=result.percent,
                    current=single.current if single else None,
                    required=single.required if single else None,
                    estimated_date=result.estimated_date,
                    conditions=list(result.conditions),
                ),
            )
        )
    return views


def _points(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime, timezone: str
) -> PointsView:
    weeks = [WeekPoints(w, p) for w, p in store.points_of(connection, tenant_id, learner_key)]
    this_week = week_start(now, timezone)
    week_points = sum(w.points for w in weeks if w.week == this_week)
    return PointsView(sum(w.points for w in weeks), this_week, week_points, weeks)
