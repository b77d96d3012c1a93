"""Fold graded attempts into learners' skill mastery, and record each acquisition once.

An attempt older than the last one folded for its skill makes the projector replay that
learner's skill from the log, so the result never depends on arrival order.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection

from stride.clock import utc_now
from stride.events.recorded import RecordedEvent, recorded_from_payload
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.events.validation import content_hash, utc_text
from stride.progress.bkt import DEFAULT_PARAMS, BktParams
from stride.progress.daily import local_day
from stride.progress.mastery import (
    GradedAttempt,
    MasteryRules,
    SkillMastery,
    apply_attempt,
    graded_attempt,
    replay,
)
from stride.store import event_log
from stride.store.catalogs import load_catalog
from stride.store.mastery import load_parameters, load_skills, save_skills

DEFAULT_THRESHOLD = 0.95
DEFAULT_PASS_SCORE = 0.7
SKILL_ACQUIRED = "skill.acquired"
# Derived event ids are a function of (tenant, learner, skill): the log's unique key then
# guarantees one skill.acquired per learner and skill, whatever replays or rebuilds happen.
_DERIVED_NAMESPACE = uuid.UUID("6f1c8a52-3a0e-4f2b-9d55-2a1e7c9b0d41")


def mastery_rules(connection: Connection, tenant_id: str) -> MasteryRules:
    """The tenant's mastery rules: catalog settings, then fitted, catalog or default parameters."""
    stored = load_catalog(connection, tenant_id)
    fitted = {skill: f.params for skill, f in load_parameters(connection, tenant_id).items()}
    if stored is None:
        return MasteryRules(
            model="bkt",
            threshold=DEFAULT_THRESHOLD,
            skills_of=lambda _activity: (),
            pass_mark=lambda _activity: DEFAULT_PASS_SCORE,
            params_of=lambda skill: fitted.get(skill, DEFAULT_PARAMS),
        )
    catalog = stored.catalog
    from_catalog = {
        skill.id: BktParams(
            skill.bkt.prior, skill.bkt.learn, skill.bkt.guess, skill.bkt.slip, skill.bkt.forget
        )
        for skill in catalog.skills.values()
        if skill.bkt is not None
    }
    params = {**from_catalog, **fitted}
    return MasteryRules(
        model=catalog.mastery_model,
        threshold=catalog.mastery_threshold,
        skills_of=catalog.skills_of,
        pass_mark=catalog.pass_mark,
        params_of=lambda skill: params.get(skill, DEFAULT_PARAMS),
    )


def _week_in(timezone: str, instant: datetime) -> date:
    return week_start(instant, timezone)


def week_start(instant: datetime, timezone: str) -> date:
    day = local_day(instant, timezone)
    return day - timedelta(days=day.weekday())


def project_mastery(
    connection: Connection,
    tenant_id: str,
    by_learner: Mapping[str, Sequence[RecordedEvent]],
    timezones: Mapping[str, str],
) -> None:
    rules: MasteryRules | None = None
    attempts: dict[tuple[str, str], list[GradedAttempt]] = defaultdict(list)
    for key, learner_events in by_learner.items():
        for event in learner_events:
            if event.type not in ATTEMPT_EVENT_TYPES:
                continue
            rules = rules or mastery_rules(connection, tenant_id)
            attempt = graded_attempt(event, rules)
            if attempt is not None:
                for skill in attempt.skills:
                    attempts[(key, skill)].append(attempt)
    if rules is None or not attempts:
        return
    stored = load_skills(connection, tenant_id, attempts.keys())
    history: dict[str, list[GradedAttempt]] = {}
    changed: list[SkillMastery] = []
    for (key, skill), new in attempts.items():
        zone = timezones.get(key, "UTC")
        state = stored.get((key, skill))
        new.sort(key=lambda a: a.order_key)
        if state is not None and new[0].order_key <= state.order_key:
            if key not in history:
                history[key] = _logged_attempts(connection, tenant_id, key, rules)
            skill_history = [a for a in history[key] if skill in a.skills]
            result = replay(key, skill, skill_history, partial(_week_in, zone), rules)
        else:
            result = state
            for attempt in new:
                week = week_start(attempt.timestamp, zone)
                result = apply_attempt(result, key, skill, attempt, week, rules)
        if result is not None and result != state:
            changed.append(result)
    save_skills(connection, tenant_id, changed)
    acquired = [m for m in changed if _newly_acquired(stored.get((m.learner_key, m.skill_id)), m)]
    _record_acquisitions(connection, tenant_id, acquired, rules)


def _newly_acquired(before: SkillMastery | None, after: SkillMastery) -> bool:
    return after.acquired_at is not None and (before is None or before.acquired_at is None)


def _logged_attempts(
    connection: Connection, tenant_id: str, learner_key: str, rules: MasteryRules
) -> list[GradedAttempt]:
    logged = event_log.learner_events_of_types(
        connection, tenant_id, learner_key, ATTEMPT_EVENT_TYPES
    )
    recorded = (
        recorded_from_payload(e.event_id, e.learner_key, e.event_time, e.payload) for e in logged
    )
    return [a for a in (graded_attempt(r, rules) for r in recorded) if a is not None]


def _record_acquisitions(
    connection: Connection, tenant_id: str, acquired: list[SkillMastery], rules: MasteryRules
) -> None:
    if not acquired:
        return
    now = utc_now()
    rows = [_acquisition_row(tenant_id, m, rules, now) for m in acquired]
    event_log.append_events(connection, rows)


def acquisition_event_id(tenant_id: str, learner_key: str, skill_id: str) -> str:
    return str(uuid.uuid5(_DERIVED_NAMESPACE, f"{tenant_id}/{learner_key}/{skill_id}"))


def _acquisition_row(
    tenant_id: str, mastery: SkillMastery, rules: MasteryRules, now: datetime
) -> dict[str, Any]:
    assert mastery.acquired_at is not None
    event_id = acquisition_event_id(tenant_id, mastery.learner_key, mastery.skill_id)
    payload = {
        "id": event_id,
        "type": SKILL_ACQUIRED,
        "timestamp": utc_text(mastery.acquired_at),
        "skills": [mastery.skill_id],
        "result": {"score": round(mastery.value(rules.model), 6)},
        "properties": {"mastery_model": rules.model, "threshold": rules.threshold},
        "derived": True,
    }
    return {
        "tenant_id": tenant_id,
        "event_id": event_id,
        "learner_key": mastery.learner_key,
        "type": SKILL_ACQUIRED,
        "event_time": mastery.acquired_at,
        "received_at": now,
        "content_hash": content_hash(mastery.learner_key, payload),
        "payload": payload,
    }
