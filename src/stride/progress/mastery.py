"""A learner's mastery of one skill, folded attempt by attempt (BKT or the heuristic model).

Every graded attempt updates P(mastery) in O(1). BKT depends on the order of attempts, so the
fold must see them in (timestamp, event id) order; the projector replays a skill from the log
when an attempt arrives older than the last one folded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from stride.events.recorded import RecordedEvent
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.progress.bkt import BktParams, update
from stride.progress.heuristic import heuristic_mastery

MasteryModel = Literal["bkt", "heuristic"]

RECENT_SCORES = 20  # the heuristic's volume factor saturates at 20 attempts
WEEKS_KEPT = 104


@dataclass(frozen=True, slots=True)
class GradedAttempt:
    event_id: str
    timestamp: datetime
    correct: bool
    score: float  # the attempt's score in [0, 1]; 1.0 / 0.0 when only success was sent
    skills: tuple[str, ...]

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.timestamp, self.event_id)


@dataclass(frozen=True, slots=True)
class SkillMastery:
    """Read model: one learner's mastery of one skill."""

    learner_key: str
    skill_id: str
    p_bkt: float
    attempts: int
    correct: int
    last_attempt_at: datetime
    last_attempt_event: str
    acquired_at: datetime | None
    recent: tuple[float, ...]  # the last RECENT_SCORES scores, oldest first
    weekly: tuple[tuple[date, float], ...]  # (week start, P(mastery) at its end), oldest first

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.last_attempt_at, self.last_attempt_event)

    def value(self, model: MasteryModel) -> float:
        return heuristic_mastery(self.recent) if model == "heuristic" else self.p_bkt


@dataclass(frozen=True)
class MasteryRules:
    """What a tenant's catalog and fitted parameters say about grading and mastery."""

    model: MasteryModel
    threshold: float
    skills_of: Callable[[str], tuple[str, ...]]  # an activity's skills in the catalog
    pass_mark: Callable[[str], float]  # an activity's pass mark
    params_of: Callable[[str], BktParams]  # a skill's BKT parameters


def graded_attempt(event: RecordedEvent, rules: MasteryRules) -> GradedAttempt | None:
    """The attempt an event records, if it is graded and tagged with skills."""
    if event.type not in ATTEMPT_EVENT_TYPES or event.derived:
        return None
    activity = event.activity_id
    if event.success is not None:
        correct = event.success
        score = event.score if event.score is not None else float(correct)
    elif event.score is not None and activity is not None:
        correct = event.score >= rules.pass_mark(activity)
        score = event.score
    else:
        return None
    skills = event.skills or (rules.skills_of(activity) if activity is not None else ())
    # A skill named twice is still one attempt at it (replay from the log would count it once).
    skills = tuple(dict.fromkeys(skills))
    if not skills:
        return None
    return GradedAttempt(event.event_id, event.timestamp, correct, score, skills)


def apply_attempt(
    state: SkillMastery | None,
    learner_key: str,
    skill_id: str,
    attempt: GradedAttempt,
    week: date,
    rules: MasteryRules,
) -> SkillMastery:
    """Fold one attempt, which must come after every attempt already in `state`."""
    params = rules.params_of(skill_id)
    before = state.p_bkt if state is not None else params.prior
    p_bkt = update(before, attempt.correct, params)
    recent = ((state.recent if state else ()) + (attempt.score,))[-RECENT_SCORES:]
    attempts = (state.attempts if state else 0) + 1
    correct = (state.correct if state else 0) + int(attempt.correct)
    acquired_at = state.acquired_at if state else None
    value = heuristic_mastery(recent) if rules.model == "heuristic" else p_bkt
    if acquired_at is None and value >= rules.threshold:
        acquired_at = attempt.timestamp
    weekly = _set_week(state.weekly if state else (), week, value)
    return SkillMastery(
        learner_key,
        skill_id,
        p_bkt,
        attempts,
        correct,
        attempt.timestamp,
        attempt.event_id,
        acquired_at,
        recent,
        weekly,
    )


def replay(
    learner_key: str,
    skill_id: str,
    attempts: Iterable[GradedAttempt],
    week_of: Callable[[datetime], date],
    rules: MasteryRules,
) -> SkillMastery | None:
    """Fold a skill's attempts from scratch, in order."""
    state = None
    for attempt in sorted(attempts, key=lambda a: a.order_key):
        state = apply_attempt(
            state, learner_key, skill_id, attempt, week_of(attempt.timestamp), rules
        )
    return state


def _set_week(
    weekly: tuple[tuple[date, float], ...], week: date, value: float
) -> tuple[tuple[date, float], ...]:
    # Attempts come in order, so the week is the last one or a new one after it.
    if weekly and weekly[-1][0] == week:
        return (*weekly[:-1], (week, value))
    return (*weekly, (week, value))[-WEEKS_KEPT:]
