"""The at-risk rules and the outcomes the dropout-risk model learns from (pure).

Rules (usable from day one, no model): a learner enrolled in a program or course, active on
at least two days (beyond a first visit), who has not completed it and has had no activity for
`inactive_days` days or more. Outcomes: completing the enrolled program is a success; a
cancelled enrollment, or `DROPOUT_INACTIVE_DAYS` days without activity before completing, is
a dropout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_INACTIVE_DAYS = 7
MIN_ACTIVE_DAYS = 2
DROPOUT_INACTIVE_DAYS = 30
BEHIND_PLAN_MARGIN = 0.2  # completion this far below the planned share counts as behind


@dataclass(frozen=True, slots=True)
class Candidate:
    """One learner's enrollment as the rules see it."""

    learner_key: str
    program_id: str
    enrolled_at: datetime
    active_days: int
    last_active: datetime | None
    completion: float | None  # None when the catalog does not know the program
    completed_at: datetime | None
    cancelled_at: datetime | None
    planned_share: float | None  # share planned done by now (None without a target date)


class ReasonCode(StrEnum):
    INACTIVE = "inactive"
    BEHIND_PLAN = "behind_plan"
    DROPOUT_RISK = "dropout_risk"


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    detail: str


class Outcome(StrEnum):
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


@dataclass(frozen=True, slots=True)
class KnownOutcome:
    outcome: Outcome
    at: datetime  # when it became known: completion, cancellation, or the end of inactivity


def is_candidate(candidate: Candidate) -> bool:
    """Enrolled (not cancelled), active beyond a first visit, and not completed."""
    return (
        candidate.cancelled_at is None
        and candidate.completed_at is None
        and candidate.active_days >= MIN_ACTIVE_DAYS
        and candidate.last_active is not None
    )


def days_inactive(candidate: Candidate, now: datetime) -> int:
    last = candidate.last_active or candidate.enrolled_at
    return max((now - last).days, 0)


def rule_reasons(candidate: Candidate, now: datetime, inactive_days: int) -> list[Reason]:
    """Why the rules flag this learner; [] when they do not. Being behind plan is given as a
    second reason, never on its own."""
    if not is_candidate(candidate):
        return []
    idle = days_inactive(candidate, now)
    if idle < inactive_days:
        return []
    assert candidate.last_active is not None
    reasons = [
        Reason(
            ReasonCode.INACTIVE,
            f"No activity for {idle} days (last on {candidate.last_active.date().isoformat()}); "
            f"the limit is {inactive_days}.",
        )
    ]
    behind = behind_plan(candidate)
    if behind is not None:
        reasons.append(behind)
    return reasons


def behind_plan(candidate: Candidate) -> Reason | None:
    if candidate.planned_share is None or candidate.completion is None:
        return None
    if candidate.completion + BEHIND_PLAN_MARGIN > candidate.planned_share:
        return None
    return Reason(
        ReasonCode.BEHIND_PLAN,
        f"{candidate.completion:.0%} done where the plan to the target date expects "
        f"{candidate.planned_share:.0%}.",
    )


def known_outcome(candidate: Candidate, now: datetime) -> KnownOutcome | None:
    """The enrollment's outcome, if it is known by `now`."""
    completed, cancelled = candidate.completed_at, candidate.cancelled_at
    if completed is not None and (cancelled is None or completed <= cancelled):
        return KnownOutcome(Outcome.COMPLETED, completed)
    if cancelled is not None:
        return KnownOutcome(Outcome.DROPPED_OUT, cancelled)
    last = candidate.last_active or candidate.enrolled_at
    given_up = last + timedelta(days=DROPOUT_INACTIVE_DAYS)
    if given_up <= now:
        return KnownOutcome(Outcome.DROPPED_OUT, given_up)
    return None
