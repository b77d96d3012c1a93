"""Fold points and counters, and award achievements once, inside the ingest transaction.

An award is a derived `achievement.awarded` event whose id is a UUIDv5 of (tenant, learner,
achievement), so the log's unique key allows one per learner and achievement. Its payload
holds every fact of the award, and the award table is refolded from those events (never by
evaluating criteria again), so a rebuild restores the same awards, whatever the criteria now
say, and an award is never revoked.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from stride.achievements.criteria import Metric, comparisons
from stride.achievements.definitions import AchievementDef, effective_achievements
from stride.achievements.metrics import LearnerMetrics, could_change, is_met, is_perfect
from stride.achievements.points import DEFAULT_POINTS, PointsRules, event_points
from stride.achievements.satisfaction import NODES, History, needs_history, satisfying_event
from stride.achievements.snapshot import (
    MODULE_COUNTER,
    PERFECT_SCORES,
    completed_modules,
    event_counter,
    load_metrics,
)
from stride.catalog.model import Catalog
from stride.clock import utc_now
from stride.events.recorded import RecordedEvent
from stride.events.validation import content_hash, utc_text
from stride.ingest.mastery_projector import week_start
from stride.progress.activity import ActivityStatus, completes_activity
from stride.progress.completion import completion_tree
from stride.store import achievements as store
from stride.store import event_log
from stride.store.catalogs import load_catalog
from stride.store.learners import load_timezones

ACHIEVEMENT_AWARDED = "achievement.awarded"
MAX_EVIDENCE = 10
_NAMESPACE = uuid.UUID("0b7e6c1e-5a43-4d0c-9a41-6d8f0f3c2a77")


def award_event_id(tenant_id: str, learner_key: str, achievement_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/{learner_key}/{achievement_id}"))


@dataclass(frozen=True)
class _Rules:
    catalog: Catalog | None
    achievements: tuple[AchievementDef, ...]  # the enabled ones
    points: PointsRules


def _rules(connection: Connection, tenant_id: str) -> _Rules:
    stored = load_catalog(connection, tenant_id)
    catalog = stored.catalog if stored is not None else None
    section = catalog.section("achievements") if catalog is not None else None
    enabled = tuple(d for d in effective_achievements(section) if d.enabled)
    points = catalog.section("points") if catalog is not None else None
    return _Rules(catalog, enabled, points or DEFAULT_POINTS)


def restore_awards(
    connection: Connection, tenant_id: str, new_events: Sequence[RecordedEvent]
) -> None:
    """Refold awards the log already holds (a rebuild meets them after their trigger)."""
    ids = [e.event_id for e in new_events if e.derived and e.type == ACHIEVEMENT_AWARDED]
    if not ids:
        return
    payloads = store.logged_payloads(connection, tenant_id, ids)
    logged = [
        _award_of(e.learner_key, payloads[e.event_id]) for e in new_events if e.event_id in payloads
    ]
    known = store.load_awarded(connection, tenant_id, {a.learner_key for a in logged})
    awards = [a for a in logged if a.achievement_id not in known.get(a.learner_key, ())]
    timezones = load_timezones(connection, tenant_id, {a.learner_key for a in awards})
    _save_awards(connection, tenant_id, awards, _rules(connection, tenant_id).points, timezones)


def project_achievements(
    connection: Connection,
    tenant_id: str,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    timezones: Mapping[str, str],
) -> None:
    """Fold the batch's points and counters, then award what the batch made true."""
    if not by_learner:
        return
    rules = _rules(connection, tenant_id)

    def week_of(event: RecordedEvent) -> date:
        return week_start(event.timestamp, timezones.get(event.learner_key, "UTC"))

    batch = [e for events in by_learner.values() for e in events]
    store.add_points(connection, tenant_id, event_points(batch, rules.points, week_of))
    store.add_counters(connection, tenant_id, _counts(batch))
    _mark_completed_modules(connection, tenant_id, rules.catalog, by_learner)
    awards = _evaluate(connection, tenant_id, rules, by_learner, timezones)
    if not awards:
        return
    now = utc_now()
    inserted = event_log.append_events(
        connection, [_event_row(tenant_id, award, now) for award in awards]
    )
    # Not inserted: the log has it already (a rebuild), and the logged one is refolded.
    new = [a for a in awards if a.event_id in inserted]
    _save_awards(connection, tenant_id, new, rules.points, timezones)


def _counts(batch: Sequence[RecordedEvent]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for event in batch:
        counts[(event.learner_key, event_counter(event.type))] += 1
        if is_perfect(event):
            counts[(event.learner_key, PERFECT_SCORES)] += 1
    return counts


def _mark_completed_modules(
    connection: Connection,
    tenant_id: str,
    catalog: Catalog | None,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
) -> None:
    """Flag the modules the batch completed (`modules.completed` counts the flags): only a
    module holding an item the batch completed can have become complete."""
    if catalog is None:
        return
    candidates = {
        (key, module): event.timestamp
        for key, events in by_learner.items()
        for event in events
        if event.activity_id is not None
        and completes_activity(event)
        and (module := catalog.module_of(event.activity_id)) is not None
    }
    if not candidates:
        return
    probes = {(key, item.id) for key, module in candidates for item in catalog.items_under(module)}
    rows = store.load_activity_rows(connection, tenant_id, probes)
    done = {
        (key, MODULE_COUNTER + module)
        for (key, module), moment in candidates.items()
        if completion_tree(catalog, module, rows.get(key, {}), now=moment).status
        == ActivityStatus.COMPLETED
    }
    store.mark_counters(connection, tenant_id, done)


def _evaluate(
    connection: Connection,
    tenant_id: str,
    rules: _Rules,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    timezones: Mapping[str, str],
) -> list[store.Award]:
    """Awards the batch earns: only rules not yet earned whose metrics the batch could move
    are evaluated, so a learner who earned everything costs one indexed read."""
    if not rules.achievements:
        return []
    awarded = store.load_awarded(connection, tenant_id, by_learner.keys())
    candidates: dict[str, list[tuple[AchievementDef, list[RecordedEvent]]]] = defaultdict(list)
    watched = [(d, {c.metric for c in comparisons(d.criteria)}) for d in rules.achievements]
    for key, events in by_learner.items():
        earned = awarded.get(key, set())
        for definition, metrics in watched:
            if definition.id in earned:
                continue
            relevant = [e for e in events if any(could_change(m, e) for m in metrics)]
            if relevant:
                candidates[key].append((definition, relevant))
    if not candidates:
        return []
    wanted: dict[str, set[Metric]] = {
        key: {c.metric for d, _ in items for c in comparisons(d.criteria)}
        for key, items in candidates.items()
    }
    moments = {key: max(e.timestamp for e in by_learner[key]) for key in candidates}
    snapshots = load_metrics(connection, tenant_id, rules.catalog, wanted, moments, timezones)
    met = [
        (key, definition, relevant)
        for key, items in candidates.items()
        for definition, relevant in items
        if is_met(definition.criteria, snapshots[key])
    ]
    # Histories of the learners whose award must be dated within several relevant events,
    # read for all of them at once.
    dated = {key for key, d, relevant in met if len(relevant) > 1 and needs_history(d.criteria)}
    histories = _histories(connection, tenant_id, rules, dated, moments)
    return [
        _award(tenant_id, key, definition, relevant, snapshots[key], histories.get(key, History()))
        for key, definition, relevant in met
    ]


def _award(
    tenant_id: str,
    learner_key: str,
    definition: AchievementDef,
    relevant: list[RecordedEvent],
    metrics: LearnerMetrics,
    history: History,
) -> store.Award:
    """The award, dated by the event of the batch that satisfied the criteria
    (achievements/satisfaction.py); the evidence is the relevant events up to it. `history`
    is the learner's (`_histories`) when the criteria need it and several events are relevant."""
    relevant.sort(key=lambda e: e.order_key)
    satisfied = len(relevant) - 1
    if satisfied > 0:
        satisfied = satisfying_event(definition.criteria, relevant, metrics, history)
    evidence = tuple(e.event_id for e in relevant[: satisfied + 1][-MAX_EVIDENCE:])
    return store.Award(
        learner_key,
        definition.id,
        relevant[satisfied].timestamp,
        award_event_id(tenant_id, learner_key, definition.id),
        definition.name,
        definition.points,
        evidence,
    )


def _histories(
    connection: Connection,
    tenant_id: str,
    rules: _Rules,
    learner_keys: Collection[str],
    moments: Mapping[str, datetime],
) -> dict[str, History]:
    """The learners' completion and acquisition moments, from all their activity and skill
    rows (two reads for all of them)."""
    if not learner_keys:
        return {}
    catalog = rules.catalog
    node_ids = {
        c.metric.ref
        for d in rules.achievements
        for c in comparisons(d.criteria)
        if c.metric.kind in NODES and c.metric.ref is not None
    }
    activity_rows = store.load_activity_rows(connection, tenant_id, {(k,) for k in learner_keys})
    skill_states = store.load_skill_states(connection, tenant_id, learner_keys)
    histories = {}
    for key in learner_keys:
        rows, now = activity_rows.get(key, {}), moments[key]
        skills = skill_states.get(key, [])
        nodes: dict[str, datetime] = {}
        for node_id in node_ids:
            if catalog is not None and node_id in catalog.activities:
                completed_at = completion_tree(catalog, node_id, rows, now=now).completed_at
                if completed_at is not None:
                    nodes[node_id] = completed_at
        histories[key] = History(
            activity_completions=tuple(
                sorted(r.completed_at for r in rows.values() if r.completed_at)
            ),
            module_completions=tuple(
                sorted(m for m in completed_modules(catalog, rows, now).values() if m is not None)
            ),
            skill_acquisitions=tuple(sorted(s.acquired_at for s in skills if s.acquired_at)),
            completed_at=nodes,
        )
    return histories


def _award_of(learner_key: str, payload: Mapping[str, Any]) -> store.Award:
    facts = payload["properties"]
    return store.Award(
        learner_key,
        facts["achievement_id"],
        datetime.fromisoformat(payload["timestamp"]),
        payload["id"],
        facts["name"],
        facts["points"],
        tuple(facts["evidence"]),
    )


def _save_awards(
    connection: Connection,
    tenant_id: str,
    awards: Sequence[store.Award],
    points: PointsRules,
    timezones: Mapping[str, str],
) -> None:
    """Store awards the table does not hold yet, and add their points to their weeks."""
    if not awards:
        return
    store.save_awards(connection, tenant_id, awards)
    if points.achievements:
        weekly: dict[tuple[str, date], int] = defaultdict(int)
        for award in awards:
            zone = timezones.get(award.learner_key, "UTC")
            weekly[(award.learner_key, week_start(award.awarded_at, zone))] += award.points
        store.add_points(connection, tenant_id, weekly)


def _event_row(tenant_id: str, award: store.Award, now: datetime) -> dict[str, Any]:
    payload = {
        "id": award.event_id,
        "type": ACHIEVEMENT_AWARDED,
        "timestamp": utc_text(award.awarded_at),
        "properties": {
            "achievement_id": award.achievement_id,
            "name": award.name,
            "points": award.points,
            "evidence": list(award.evidence),
        },
        "derived": True,
    }
    return {
        "tenant_id": tenant_id,
        "event_id": award.event_id,
        "learner_key": award.learner_key,
        "type": ACHIEVEMENT_AWARDED,
        "event_time": award.awarded_at,
        "received_at": now,
        "content_hash": content_hash(award.learner_key, payload),
        "payload": payload,
    }
