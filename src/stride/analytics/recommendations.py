"""Recommendations for one learner from their read models, the catalog and the risk model."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from stride.analytics.recommendations_rules import (
    LearnerSignals,
    ModuleStep,
    Practice,
    Recommendation,
    SkillGap,
    next_required_module,
    recommend,
    weakest_skill,
)
from stride.analytics.risk import learner_risk
from stride.catalog import Catalog
from stride.learners.history import learner_activities_of
from stride.learners.profile_lookup import learner_profile
from stride.learners.streaks import streak_view
from stride.privacy.consent import require_consent
from stride.privacy.policy import Purpose
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import completion_tree
from stride.progress.daily import local_day
from stride.progress.enrollment import EnrollmentStatus
from stride.store.analytics_risk import days_of, program_enrollments
from stride.store.catalogs import load_catalog
from stride.store.mastery import learner_skills_of
from stride.store.read_models import load_stats


def learner_recommendations(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> list[Recommendation]:
    """What the learner could do next, each with its reason.

    Raises NotFound for an unknown learner, ConsentRequired without personalization consent.
    """
    profile = learner_profile(connection, tenant_id, learner_key)
    require_consent(connection, tenant_id, learner_key, Purpose.PERSONALIZATION)
    today = local_day(now, profile.timezone)
    stats = load_stats(connection, tenant_id, [learner_key]).get(learner_key)
    streak = streak_view(connection, tenant_id, stats, today).current if stats else 0
    active = {d.day for d in days_of(connection, tenant_id, [learner_key]).get(learner_key, [])}
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored else None
    gap = module = None
    if catalog is not None:
        activities = learner_activities_of(connection, tenant_id, learner_key)
        gap = _weakest_skill(connection, tenant_id, learner_key, catalog, activities)
        module = _next_module(connection, tenant_id, learner_key, catalog, activities, now)
    signals = LearnerSignals(
        current_streak=streak,
        active_days_7d=_active_between(active, today - timedelta(days=6), today),
        active_days_prev_7d=_active_between(
            active, today - timedelta(days=13), today - timedelta(days=7)
        ),
        dropout_risk=learner_risk(connection, tenant_id, learner_key, now),
        weakest_skill=gap,
        next_module=module,
    )
    return recommend(signals)


def _active_between(days: set[date], first: date, last: date) -> int:
    return sum(1 for d in days if first <= d <= last)


def _weakest_skill(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    catalog: Catalog,
    activities: dict[str, ActivityProgress],
) -> SkillGap | None:
    mastery = {
        s.skill_id: s.p_bkt
        for s in learner_skills_of(connection, tenant_id, learner_key)
        if s.skill_id in catalog.skills
    }
    practice: dict[str, list[Practice]] = {}
    for item in catalog.activities.values():
        if not item.is_item:
            continue
        row = activities.get(item.id)
        done = row is not None and row.status is ActivityStatus.COMPLETED
        for skill in item.skills:
            practice.setdefault(skill, []).append(Practice(item.id, item.title, done))
    names = {s.id: s.name for s in catalog.skills.values()}
    return weakest_skill(mastery, names, practice, catalog.mastery_threshold)


def _next_module(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    catalog: Catalog,
    activities: dict[str, ActivityProgress],
    now: datetime,
) -> ModuleStep | None:
    for enrollment in program_enrollments(connection, tenant_id, learner_key=learner_key):
        if enrollment.status is EnrollmentStatus.CANCELLED:
            continue
        if enrollment.activity_id not in catalog.activities:
            continue
        step = next_required_module(
            completion_tree(catalog, enrollment.activity_id, activities, now=now)
        )
        if step is not None:
            return step
    return None
