"""Fit a tenant's BKT parameters from its event log, store them, and refold mastery."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from stride.events.recorded import recorded_from_payload
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.ingest.mastery_projector import mastery_rules
from stride.ingest.rebuild import refold_mastery
from stride.progress.bkt_fit import fit_skills
from stride.progress.mastery import GradedAttempt, graded_attempt
from stride.store import event_log
from stride.store.mastery import FittedParameters, replace_parameters
from stride.store.transactions import write_transaction


@dataclass(frozen=True)
class MasteryFit:
    skills_seen: int
    fitted: dict[str, FittedParameters]  # skills with enough attempts; the others keep defaults
    attempts: int
    events_refolded: int


def fit_mastery(
    engine: Engine,
    tenant_id: str,
    now: datetime,
    *,
    restarts: int = 5,
    forgets: bool = False,
    on_progress: Callable[[str, int], None] | None = None,
) -> MasteryFit:
    """Fit every skill with enough graded attempts, replace the tenant's fitted parameters,
    and refold mastery with them, in one transaction."""
    with write_transaction(engine) as connection:
        rules = mastery_rules(connection, tenant_id)
        sequences: dict[str, dict[str, list[GradedAttempt]]] = defaultdict(
            lambda: defaultdict(list)
        )
        attempts = 0
        for chunk in event_log.iter_events(connection, tenant_id):
            for logged in chunk:
                if logged.type not in ATTEMPT_EVENT_TYPES:
                    continue
                recorded = recorded_from_payload(
                    logged.event_id, logged.learner_key, logged.event_time, logged.payload
                )
                attempt = graded_attempt(recorded, rules)
                if attempt is None:
                    continue
                attempts += 1
                for skill in attempt.skills:
                    sequences[skill][logged.learner_key].append(attempt)
            if on_progress is not None:
                on_progress("read", len(chunk))
        answers = {
            skill: [
                [a.correct for a in sorted(learner, key=lambda a: a.order_key)]
                for learner in by_learner.values()
            ]
            for skill, by_learner in sequences.items()
        }
        results = fit_skills(answers, restarts=restarts, forgets=forgets)
        fitted = {
            skill: FittedParameters(skill, r.params, r.attempts, r.learners, r.log_likelihood, now)
            for skill, r in results.items()
        }
        replace_parameters(connection, tenant_id, fitted)
        refolded = refold_mastery(
            connection,
            tenant_id,
            None if on_progress is None else lambda n: on_progress("refold", n),
        )
    return MasteryFit(len(sequences), fitted, attempts, refolded)
