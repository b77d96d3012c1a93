"""Load `LearnerMetrics` from the read models, reading only what the wanted metrics need."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection

from stride.achievements.criteria import Metric
from stride.achievements.metrics import LearnerMetrics
from stride.catalog.model import Catalog
from stride.ingest.mastery_projector import mastery_rules, week_start
from stride.progress.activity import ActivityProgress, ActivityStatus
from stride.progress.completion import completion_tree
from stride.progress.daily import local_day
from stride.progress.mastery import MasteryRules, SkillMastery
from stride.progress.radar import DimensionSkill, radar, radar_history
from stride.store import achievements as store
from stride.store.read_models import load_stats

PERFECT_SCORES = "score.perfect"
MODULE_COUNTER = "module:"  # + a module's id: set once the learner completed it
IMPROVEMENT_DAYS = 30
_STATS = {"streak.current", "streak.longest", "activities.completed"}
# Metrics that read whole skill states; `skills.acquired` alone only counts acquired ones.
_SKILL_STATES = {"mastery", "improvement"}


def event_counter(event_type: str) -> str:
    return f"events:{event_type}"


def load_metrics(
    connection: Connection,
    tenant_id: str,
    catalog: Catalog | None,
    wanted: Mapping[str, Collection[Metric]],
    moments: Mapping[str, datetime],
    timezones: Mapping[str, str],
    live: bool = False,
) -> dict[str, LearnerMetrics]:
    """Each learner's metrics at `moments[learner]`.

    `live` reads the current streak as the API shows it (0 once a day was missed); at ingest
    it is the run ending on the last active day, which the events just extended.
    """
    kinds = {m.kind for metrics in wanted.values() for m in metrics}
    keys = list(wanted)
    stats = load_stats(connection, tenant_id, keys) if kinds & _STATS else {}
    states_wanted = bool(kinds & _SKILL_STATES)
    skills = store.load_skill_states(connection, tenant_id, keys) if states_wanted else {}
    if states_wanted:
        acquired = {
            key: sum(1 for s in states if s.acquired_at is not None)
            for key, states in skills.items()
        }
    elif "skills.acquired" in kinds:
        acquired = store.count_acquired_skills(connection, tenant_id, keys)
    else:
        acquired = {}
    rows = store.load_activity_rows(connection, tenant_id, _activity_keys(catalog, wanted))
    sessions = store.load_sessions(connection, tenant_id, keys) if "sessions.count" in kinds else {}
    counted = kinds & {"score.perfect", "events", "modules.completed"}
    counters = store.load_counters(connection, tenant_id, keys) if counted else {}
    rules = mastery_rules(connection, tenant_id) if states_wanted else None
    snapshots = {}
    for key, metrics in wanted.items():
        moment, zone = moments[key], timezones.get(key, "UTC")
        learner_stats = stats.get(key)
        streak_current = streak_longest = completed = 0
        if learner_stats is not None:
            streak = learner_stats.streak
            today = local_day(moment, zone) if live else None
            streak_current = streak.current(today) if today is not None else streak.last_run
            streak_longest, completed = streak.longest, learner_stats.activities_completed
        states = skills.get(key, [])
        activity_rows = rows.get(key, {})
        own_counters = counters.get(key, {})
        snapshots[key] = LearnerMetrics(
            streak_current=streak_current,
            streak_longest=streak_longest,
            skills_acquired=acquired.get(key, 0),
            sessions=len(sessions.get(key, {})),
            activities_completed=completed,
            modules_completed=sum(1 for c in own_counters if c.startswith(MODULE_COUNTER)),
            perfect_scores=own_counters.get(PERFECT_SCORES, 0),
            completion=_completion(catalog, activity_rows, metrics, moment),
            best_score={
                m.ref: activity_rows[m.ref].best_score or 0.0
                for m in metrics
                if m.kind == "activity" and m.ref in activity_rows
            },
            mastery=_mastery(states, metrics, rules),
            improvement=_improvement(catalog, states, metrics, rules, moment, zone),
            event_counts={
                m.ref: own_counters.get(event_counter(m.ref), 0)
                for m in metrics
                if m.kind == "events" and m.ref is not None
            },
        )
    return snapshots


def completed_modules(
    catalog: Catalog | None, rows: Mapping[str, ActivityProgress], now: datetime
) -> dict[str, datetime | None]:
    """The modules the learner has completed, with when; only modules holding a completed
    item can be, so only those are computed."""
    if catalog is None:
        return {}
    candidates = {
        module
        for activity_id, row in rows.items()
        if row.status is ActivityStatus.COMPLETED
        and (module := catalog.module_of(activity_id)) is not None
    }
    done = {}
    for module in sorted(candidates):
        node = completion_tree(catalog, module, rows, now=now)
        if node.status == ActivityStatus.COMPLETED:
            done[module] = node.completed_at
    return done


def _activity_keys(
    catalog: Catalog | None, wanted: Mapping[str, Collection[Metric]]
) -> set[tuple[str, ...]]:
    """The (learner, activity) rows the metrics read: a completion reads its items, a best
    score its activity; one probe each, never a learner's whole history."""
    keys: set[tuple[str, ...]] = set()
    for key, metrics in wanted.items():
        for m in metrics:
            if m.ref is None:
                continue
            if m.kind == "activity":
                keys.add((key, m.ref))
            elif m.kind in ("module", "course", "program") and catalog is not None:
                keys.update((key, item.id) for item in catalog.items_under(m.ref))
    return keys


def _completion(
    catalog: Catalog | None,
    rows: Mapping[str, ActivityProgress],
    metrics: Iterable[Metric],
    now: datetime,
) -> dict[str, float]:
    if catalog is None:
        return {}
    return {
        m.ref: completion_tree(catalog, m.ref, rows, now=now).completion
        for m in metrics
        if m.kind in ("module", "course", "program")
        and m.ref is not None
        and m.ref in catalog.activities
    }


def _mastery(
    states: list[SkillMastery], metrics: Iterable[Metric], rules: MasteryRules | None
) -> dict[str, float]:
    wanted = {m.ref for m in metrics if m.kind == "mastery"}
    if not wanted or rules is None:
        return {}
    return {s.skill_id: s.value(rules.model) for s in states if s.skill_id in wanted}


def _improvement(
    catalog: Catalog | None,
    states: list[SkillMastery],
    metrics: Iterable[Metric],
    rules: MasteryRules | None,
    moment: datetime,
    zone: str,
) -> dict[str, float]:
    """Per dimension, the radar now minus the radar at the end of the week 30 days back."""
    wanted = {m.ref for m in metrics if m.kind == "improvement"}
    if not wanted or catalog is None or rules is None:
        return {}
    dimensions = [(d.id, d.name) for d in catalog.dimensions if d.id in wanted]
    members = {
        d: [DimensionSkill(s.id, s.weight) for s in catalog.skills_in(d)] for d, _ in dimensions
    }

    def untouched(skill_id: str) -> float:
        return rules.params_of(skill_id).prior if rules.model == "bkt" else 0.0

    now = radar(dimensions, members, {s.skill_id: s.value(rules.model) for s in states}, untouched)
    back = week_start(moment - timedelta(days=IMPROVEMENT_DAYS), zone)
    (then,) = radar_history(
        dimensions, members, {s.skill_id: s.weekly for s in states}, [back], untouched
    )
    before = {d.dimension_id: d.mastery for d in then.dimensions}
    return {
        d.dimension_id: d.mastery - (before.get(d.dimension_id) or 0.0)
        for d in now
        if d.mastery is not None
    }
