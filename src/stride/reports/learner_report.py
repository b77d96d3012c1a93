"""A learner's weekly or monthly report, gathered from the learner read services."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection

from stride.achievements.service import get_achievements, get_points
from stride.analytics.recommendations import learner_recommendations
from stride.catalog import Catalog
from stride.errors import ConsentRequired
from stride.ingest.streak_freezes import freezes_per_month
from stride.learners import enrollments, goals, queries, skills
from stride.learners.history import learner_activities_of
from stride.progress.activity import ActivityProgress
from stride.progress.completion import completion_tree
from stride.progress.daily import local_day, zone
from stride.reports.learner_challenges import Challenge, goal_challenges, time_challenge
from stride.reports.learner_rules import (
    Change,
    SkillStanding,
    SuggestedGoal,
    activities_as_of,
    skill_changes,
    streak_on,
    suggest_goals,
    weekly_totals,
)
from stride.reports.periods import ReportKind, ReportPeriod, resolve_period
from stride.store.catalogs import load_catalog
from stride.store.read_models import load_active_days

# Days the activity heatmap and the progress line cover, ending with the period's last day.
HEATMAP_DAYS = 90


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str  # "minutes", "days" or "count"
    value: float | None
    previous: float | None


@dataclass(frozen=True)
class Earned:
    id: str
    name: str
    points: int
    awarded_at: datetime


@dataclass(frozen=True)
class Advice:
    kind: str
    reason: str
    activity_id: str | None
    skill_id: str | None


@dataclass(frozen=True)
class DayFigure:
    day: date
    minutes: float
    events: int
    sessions: int
    completed: int  # activities completed by the end of the day (cumulative)


@dataclass(frozen=True)
class RadarPoint:
    dimension_id: str
    name: str
    mastery: float | None


@dataclass(frozen=True)
class LearnerReport:
    learner_id: str
    timezone: str
    period: ReportPeriod
    previous: ReportPeriod
    generated_at: datetime
    summary: list[Figure]
    programs: list[Change]  # enrolled programs and courses, completion before and after
    achievements: list[Earned]  # earned in the period
    improvements: list[Change]
    challenges: list[Challenge]
    recommendations: list[Advice]
    recommendations_note: str | None
    suggested_goals: list[SuggestedGoal]
    days: list[DayFigure]  # HEATMAP_DAYS days, oldest first
    radar: list[RadarPoint]  # at the end of the week holding the period's last day


def end_instant(day: date, timezone: str) -> datetime:
    """The last moment of the learner's local `day`."""
    following = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone(timezone))
    return following - timedelta(microseconds=1)


def build_learner_report(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    learner_id: str,
    kind: ReportKind,
    end: date | None,
    now: datetime,
) -> LearnerReport:
    """The report of the period holding `end` (default: the last full one).

    Raises NotFound for a learner Stride has never seen, InvalidInput for a bad `end`.
    """
    progress = queries.get_progress(connection, tenant_id, learner_key, now)
    tz = progress.timezone
    period, previous = resolve_period(kind, end, local_day(now, tz))
    at = min(end_instant(period.end, tz), now)
    before = min(end_instant(previous.end, tz), now)
    first = period.end - timedelta(days=HEATMAP_DAYS - 1)
    timeline = queries.get_timeline(connection, tenant_id, learner_key, now, first, period.end)
    activities = learner_activities_of(connection, tenant_id, learner_key)
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored else None
    completed_days = sorted(
        local_day(a.completed_at, tz) for a in activities.values() if a.completed_at
    )
    days = [
        DayFigure(
            d.day,
            d.active_s / 60,
            d.events,
            d.sessions,
            bisect_right(completed_days, d.day),
        )
        for d in timeline.days
    ]
    skills_view = skills.get_skills(connection, tenant_id, learner_key, at)
    standings = [
        SkillStanding(s.skill_id, s.name or s.skill_id, [(w.week, w.mastery) for w in s.history])
        for s in skills_view.skills
    ]
    risen, stalled = skill_changes(standings, period, previous, skills_view.threshold)
    goal_list = goals.list_goals(connection, tenant_id, learner_key, at).data
    met, missed = goal_challenges(goal_list, period, previous, local_day(now, tz), tz)
    summary = _summary(
        connection, tenant_id, learner_key, days, completed_days, period, previous, now
    )
    summary.append(Figure("goals_met", "Goals met", "count", met[0], met[1]))
    time_drop = time_challenge(summary[0].value or 0.0, summary[0].previous or 0.0)
    modules = _module_changes(catalog, activities, at, before) if catalog else []
    advice, note = _advice(connection, tenant_id, learner_key, now)
    minutes = {d.day: d.minutes for d in days}
    sessions = {d.day: d.sessions for d in days}
    radar_week = skills_view.radar_history[-1].dimensions if skills_view.radar_history else ()
    return LearnerReport(
        learner_id=learner_id,
        timezone=tz,
        period=period,
        previous=previous,
        generated_at=now,
        summary=summary,
        programs=_programs(connection, tenant_id, learner_key, catalog, activities, at, before),
        achievements=_earned(connection, tenant_id, learner_key, now, period, tz),
        improvements=risen + modules,
        challenges=[*(_stalled(c) for c in stalled), *missed, *time_drop],
        recommendations=advice,
        recommendations_note=note,
        suggested_goals=suggest_goals(weekly_totals(minutes, sessions, period.end)),
        days=days,
        radar=[RadarPoint(d.dimension_id, d.name, d.mastery) for d in radar_week],
    )


def _summary(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    days: list[DayFigure],
    completed_days: list[date],
    period: ReportPeriod,
    previous: ReportPeriod,
    now: datetime,
) -> list[Figure]:
    def total(p: ReportPeriod, attribute: str) -> float:
        return sum(float(getattr(d, attribute)) for d in days if p.holds(d.day))

    def active(p: ReportPeriod) -> int:
        return sum(1 for d in days if p.holds(d.day) and d.events)

    def completed(p: ReportPeriod) -> int:
        return sum(1 for c in completed_days if p.holds(c))

    allowance = freezes_per_month(connection, tenant_id)
    # The heatmap's days cover both periods; streaks need every active day.
    all_days = load_active_days(connection, tenant_id, [learner_key]).get(learner_key, [])
    streak_now, longest_now = streak_on(all_days, period.end, allowance)
    streak_then, longest_then = streak_on(all_days, previous.end, allowance)
    weeks = get_points(connection, tenant_id, learner_key, now).weeks
    points = [sum(w.points for w in weeks if p.holds(w.week)) for p in (period, previous)]
    return [
        Figure(
            "minutes",
            "Minutes learning",
            "minutes",
            total(period, "minutes"),
            total(previous, "minutes"),
        ),
        Figure("active_days", "Active days", "days", active(period), active(previous)),
        Figure(
            "events", "Learning events", "count", total(period, "events"), total(previous, "events")
        ),
        Figure(
            "activities_completed",
            "Activities completed",
            "count",
            completed(period),
            completed(previous),
        ),
        Figure("current_streak", "Streak at period end", "days", streak_now, streak_then),
        Figure("longest_streak", "Longest streak", "days", longest_now, longest_then),
        Figure("points", "Points", "count", points[0], points[1]),
    ]


def _stalled(change: Change) -> Challenge:
    before = change.before if change.before is not None else 0.0
    return Challenge(
        "stalled_skill",
        change.id,
        f"{change.name} stalled at {change.after:.0%} (was {before:.0%}).",
        change.after,
        None,
    )


def _module_changes(
    catalog: Catalog,
    activities: dict[str, ActivityProgress],
    at: datetime,
    before: datetime,
) -> list[Change]:
    now_rows, then_rows = activities_as_of(activities, at), activities_as_of(activities, before)
    found = []
    for module in catalog.activities.values():
        if module.type != "module":
            continue
        items = {i.id for i in catalog.items_under(module.id)}
        if not items & now_rows.keys():
            continue
        after = completion_tree(catalog, module.id, now_rows, now=at).completion
        was = completion_tree(catalog, module.id, then_rows, now=before).completion
        if after > was:
            found.append(Change("module", module.id, module.title, was, after))
    return found


def _programs(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    catalog: Catalog | None,
    activities: dict[str, ActivityProgress],
    at: datetime,
    before: datetime,
) -> list[Change]:
    if catalog is None:
        return []
    found = []
    for enrolled in enrollments.list_enrollments(connection, tenant_id, learner_key, at):
        node = catalog.activities.get(enrolled.activity_id)
        if node is None or enrolled.enrolled_at > at:
            continue
        after = completion_tree(catalog, node.id, activities_as_of(activities, at), now=at)
        was = completion_tree(catalog, node.id, activities_as_of(activities, before), now=before)
        found.append(Change(node.type, node.id, node.title, was.completion, after.completion))
    return found


def _earned(
    connection: Connection,
    tenant_id: str,
    learner_key: str,
    now: datetime,
    period: ReportPeriod,
    tz: str,
) -> list[Earned]:
    view = get_achievements(connection, tenant_id, learner_key, now)
    return [
        Earned(e.id, e.name, e.points, e.awarded_at)
        for e in sorted(view.earned, key=lambda e: (e.awarded_at, e.id))
        if period.holds(local_day(e.awarded_at, tz))
    ]


def _advice(
    connection: Connection, tenant_id: str, learner_key: str, now: datetime
) -> tuple[list[Advice], str | None]:
    try:
        found = learner_recommendations(connection, tenant_id, learner_key, now)
    except ConsentRequired:
        return [], "Recommendations are withheld: the learner has not consented to them."
    return [Advice(r.kind.value, r.reason, r.activity_id, r.skill_id) for r in found], None
