"""A learner's place in the catalog: program/course trees with pace, modules with readiness,
and completion forecasts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, func, select

from stride.catalog import Catalog
from stride.errors import NotFound
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.ingest.mastery_projector import mastery_rules
from stride.learners.enrollments import EnrollmentView, enrollment_view
from stride.learners.history import learner_activities_of, learner_events
from stride.learners.profile_lookup import learner_profile
from stride.privacy.consent import require_consent
from stride.privacy.policy import Purpose
from stride.progress.activity import ActivityProgress
from stride.progress.completion import (
    NodeProgress,
    actual_pace,
    completed_estimated_minutes,
    completion_tree,
    planned_pace,
)
from stride.progress.daily import local_day
from stride.progress.forecast import (
    CompletionForecast,
    SkillProjection,
    forecast_completion,
    pace_factor,
    skill_projection,
)
from stride.progress.readiness import Readiness, ReadinessThresholds, module_readiness
from stride.store.catalogs import load_catalog
from stride.store.enrollments import enrollments_of
from stride.store.mastery import learner_skills_of
from stride.store.tables import learner_days

ENROLLABLE = ("program", "course")
FORECAST_WINDOW_DAYS = 28  # recent pace: four weeks, so every weekday counts equally


@dataclass(frozen=True)
class PaceView:
    day: date
    planned: float | None  # None without an enrollment target date
    actual: float


@dataclass(frozen=True)
class ProgramView:
    learner_key: str
    progress: NodeProgress
    enrollment: EnrollmentView | None
    pace: list[PaceView]


@dataclass(frozen=True)
class ModuleView:
    learner_key: str
    progress: NodeProgress
    readiness: Readiness
    scores: list[float]  # the scored attempts readiness rests on, 0..100, oldest first


@dataclass(frozen=True)
class SkillForecast:
    skill_id: str
    mastery: float
    attempts_per_day: float
    projection: SkillProjection


@dataclass(frozen=True)
class ForecastView:
    learner_key: str
    activity_id: str
    completion: CompletionForecast
    skills: list[SkillForecast]


def _catalog(connection: Connection, tenant_id: str) -> Catalog:
    stored = load_catalog(connection, tenant_id)
    if stored is None:
        raise NotFound("This tenant has no catalog yet; apply one with PUT /v1/catalog.")
    return stored.catalog


def _activity(catalog: Catalog, activity_id: str, types: tuple[str, ...]) -> None:
    activity = catalog.activities.get(activity_id)
    if activity is None or activity.type not in types:
        raise NotFound(f"The catalog has no {' or '.join(types)} with id {activity_id!r}.")


def get_program(
    connection: Connection, tenant_id: str, learner_key: str, program_id: str, now: datetime
) -> ProgramView:
    """The completion tree of a program or course, with planned and actual pace."""
    profile = learner_profile(connection, tenant_id, learner_key)
    catalog = _catalog(connection, tenant_id)
    _activity(catalog, program_id, ENROLLABLE)
    activities = learner_activities_of(connection, tenant_id, learner_key)
    tree = completion_tree(catalog, program_id, activities, now=now)
    enrollment = next(
        (
            e
            for e in enrollments_of(connection, tenant_id, learner_key)
            if e.activity_id == program_id
        ),
        None,
    )
    zone = ZoneInfo(profile.timezone)
    today = local_day(now, profile.timezone)
    started = enrollment.enrolled_at if enrollment else _first_seen(activities.values())
    pace: list[PaceView] = []
    if started is not None:
        start = min(started.astimezone(zone).date(), today)
        target = enrollment.target_date if enrollment else None
        planned = {p.day: p.planned for p in planned_pace(start, target, today)}
        pace = [
            PaceView(point.day, planned.get(point.day), point.planned)
            for point in actual_pace(catalog, program_id, activities, start, today, tz=zone)
        ]
    return ProgramView(
        learner_key,
        tree,
        enrollment_view(enrollment, catalog, activities, now) if enrollment else None,
        pace,
    )


def _first_seen(activities: Iterable[ActivityProgress]) -> datetime | None:
    return min((a.first_seen for a in activities), default=None)


def get_module(
    connection: Connection, tenant_id: str, learner_key: str, module_id: str, now: datetime
) -> ModuleView:
    """A module's completion and the learner's readiness from their last scored attempts."""
    learner_profile(connection, tenant_id, learner_key)
    catalog = _catalog(connection, tenant_id)
    _activity(catalog, module_id, ("module",))
    activities = learner_activities_of(connection, tenant_id, learner_key)
    items = {item.id for item in catalog.items_under(module_id)}
    scores = []
    for event in learner_events(connection, tenant_id, learner_key, ATTEMPT_EVENT_TYPES):
        if event.activity_id not in items:
            continue
        if event.score is not None:
            scores.append(event.score * 100.0)
        elif event.success is not None:
            scores.append(100.0 if event.success else 0.0)
    r = catalog.readiness
    thresholds = ReadinessThresholds(
        advanced_mean=r.advanced_mean,
        advanced_sd=r.advanced_sd,
        proficient_mean=r.proficient_mean,
        proficient_sd=r.proficient_sd,
        developing_mean=r.developing_mean,
        window=r.window,
    )
    recent = scores[-thresholds.window :]
    return ModuleView(
        learner_key,
        completion_tree(catalog, module_id, activities, now=now),
        module_readiness(recent, thresholds),
        recent,
    )


def get_forecast(
    connection: Connection, tenant_id: str, learner_key: str, activity_id: str, now: datetime
) -> ForecastView:
    """When the learner will finish a program or course at their recent pace, and where
    each of its skills will stand in 30 days."""
    profile = learner_profile(connection, tenant_id, learner_key)
    require_consent(connection, tenant_id, learner_key, Purpose.PERSONALIZATION)
    catalog = _catalog(connection, tenant_id)
    _activity(catalog, activity_id, ENROLLABLE)
    activities = learner_activities_of(connection, tenant_id, learner_key)
    tree = completion_tree(catalog, activity_id, activities, now=now)
    today = local_day(now, profile.timezone)
    first = today - timedelta(days=FORECAST_WINDOW_DAYS - 1)
    minutes = _daily_minutes(connection, tenant_id, learner_key, first, today)
    pace = pace_factor(
        _spent_minutes(connection, tenant_id, learner_key),
        completed_estimated_minutes(catalog, activities),
    )
    completion = forecast_completion(tree.remaining_minutes, minutes, today, pace_factor=pace)

    rules = mastery_rules(connection, tenant_id)
    wanted = {skill for item in catalog.items_under(activity_id) for skill in item.skills}
    since = now - timedelta(days=FORECAST_WINDOW_DAYS)
    recent_attempts: dict[str, int] = dict.fromkeys(wanted, 0)
    for event in learner_events(connection, tenant_id, learner_key, ATTEMPT_EVENT_TYPES):
        if event.timestamp < since:
            continue
        for skill in event.skills or catalog.skills_of(event.activity_id or ""):
            if skill in recent_attempts:
                recent_attempts[skill] += 1
    states = {s.skill_id: s for s in learner_skills_of(connection, tenant_id, learner_key)}
    skills = []
    for skill in sorted(wanted):
        params = rules.params_of(skill)
        state = states.get(skill)
        mastery = state.p_bkt if state else params.prior
        rate = recent_attempts[skill] / FORECAST_WINDOW_DAYS
        projection = skill_projection(
            mastery, params.learn, params.forget, rate, threshold=rules.threshold
        )
        skills.append(SkillForecast(skill, mastery, rate, projection))
    return ForecastView(learner_key, activity_id, completion, skills)


def _spent_minutes(connection: Connection, tenant_id: str, learner_key: str) -> float:
    """All the learner's study minutes: per day, the larger of activity and session time."""
    per_day = case(
        (learner_days.c.activity_ms > learner_days.c.session_ms, learner_days.c.activity_ms),
        else_=learner_days.c.session_ms,
    )
    total = connection.execute(
        select(func.coalesce(func.sum(per_day), 0)).where(
            learner_days.c.tenant_id == tenant_id, learner_days.c.learner_key == learner_key
        )
    ).scalar_one()
    return float(total) / 60_000


def _daily_minutes(
    connection: Connection, tenant_id: str, learner_key: str, first: date, last: date
) -> list[float]:
    rows = connection.execute(
        select(learner_days.c.day, learner_days.c.activity_ms, learner_days.c.session_ms).where(
            learner_days.c.tenant_id == tenant_id,
            learner_days.c.learner_key == learner_key,
            learner_days.c.day >= first,
            learner_days.c.day <= last,
        )
    )
    by_day = {row.day: max(row.activity_ms, row.session_ms) / 60_000 for row in rows}
    return [by_day.get(first + timedelta(days=n), 0.0) for n in range((last - first).days + 1)]
