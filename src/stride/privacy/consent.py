"""Consent per purpose: what a learner agreed to, what the tenant's policy assumes, history.

A learner's recorded answer wins; without one, the tenant's policy decides (opt-out purposes
are granted, opt-in ones are not). Every change is kept in the history and audited, and it
takes effect at once: ingest and personalized reads ask on every request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from stride.errors import ConsentRequired, FieldError, InvalidInput
from stride.privacy.policy import PrivacyPolicy, Purpose
from stride.privacy.policy_service import get_policy
from stride.store import privacy as repo
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal

POLICY = "policy"
LEARNER = "learner"


@dataclass(frozen=True)
class PurposeConsent:
    purpose: str
    granted: bool
    source: str  # "learner": the learner's own answer; "policy": the tenant's default
    changed_at: datetime | None


@dataclass(frozen=True)
class ConsentView:
    purposes: list[PurposeConsent]
    history: list[repo.ConsentChange]


def _resolve(policy: PrivacyPolicy, answers: Mapping[str, repo.ConsentRow]) -> list[PurposeConsent]:
    resolved = []
    for purpose in Purpose:
        answer = answers.get(purpose.value)
        if answer is None:
            resolved.append(
                PurposeConsent(purpose.value, policy.consent_by_default(purpose), POLICY, None)
            )
        else:
            resolved.append(
                PurposeConsent(purpose.value, answer.granted, LEARNER, answer.changed_at)
            )
    return resolved


def get_consent(connection: Connection, tenant_id: str, learner_key: str) -> ConsentView:
    policy = get_policy(connection, tenant_id)
    answers = {row.purpose: row for row in repo.consents_of(connection, tenant_id, learner_key)}
    return ConsentView(
        _resolve(policy, answers), repo.consent_history_of(connection, tenant_id, learner_key)
    )


def parse_consent_changes(raw: object) -> dict[Purpose, bool]:
    """`{"analytics": true, "research": false}`: any subset of the purposes."""
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput(
            'Send an object of purposes to true or false, e.g. {"research": false}.',
            [FieldError("(body)", "must be a non-empty object")],
        )
    known = {p.value: p for p in Purpose}
    errors = []
    changes: dict[Purpose, bool] = {}
    for name, value in raw.items():
        if name not in known:
            errors.append(FieldError(str(name), f"unknown purpose; one of {', '.join(known)}"))
        elif not isinstance(value, bool):
            errors.append(FieldError(str(name), "must be true or false"))
        else:
            changes[known[name]] = value
    if errors:
        raise InvalidInput("The consent change is not valid.", errors)
    return changes


def set_consent(
    connection: Connection,
    principal: Principal,
    learner_key: str,
    changes: Mapping[Purpose, bool],
    now: datetime,
) -> ConsentView:
    """Record the learner's answers (only those that change something), audited."""
    current = {
        c.purpose: c for c in get_consent(connection, principal.tenant_id, learner_key).purposes
    }
    recorded = [
        repo.ConsentChange(purpose.value, granted, now, principal.key_id)
        for purpose, granted in sorted(changes.items())
        if current[purpose.value].source != LEARNER or current[purpose.value].granted != granted
    ]
    repo.record_consents(connection, principal.tenant_id, learner_key, recorded)
    if recorded:
        audit(
            connection,
            principal,
            "consent.update",
            "learner/consent",
            now=now,
            learner_key=learner_key,
            detail={c.purpose: c.granted for c in recorded},
        )
    return get_consent(connection, principal.tenant_id, learner_key)


def learners_with_consent(
    connection: Connection,
    tenant_id: str,
    learner_keys: Iterable[str],
    purpose: Purpose,
    policy: PrivacyPolicy | None = None,
) -> set[str]:
    """Those of `learner_keys` who consent to `purpose` now."""
    policy = policy or get_policy(connection, tenant_id)
    keys = set(learner_keys)
    answers = repo.consent_answers(connection, tenant_id, keys, purpose.value)
    by_default = policy.consent_by_default(purpose)
    return {key for key in keys if answers.get(key, by_default)}


def require_consent(
    connection: Connection, tenant_id: str, learner_key: str, purpose: Purpose
) -> None:
    """Raise ConsentRequired unless the learner consents to `purpose` now."""
    if learner_key not in learners_with_consent(connection, tenant_id, [learner_key], purpose):
        raise ConsentRequired(
            f"This learner has not consented to {purpose.value}; "
            f"the output is withheld (GET /v1/learners/{{id}}/consent shows the answers)."
        )
