"""Session summaries: what a learner did in each sitting, with explicit or inferred sessions.

Platforms that send a session id get their sessions as they declared them. Events without
one are cut into sittings by inactivity, so every learner gets summaries whatever their
platform sends. The result does not depend on the order the events arrive in.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from stride.events.types import ATTEMPT_EVENT_TYPES

INACTIVITY_GAP = timedelta(minutes=30)
INFERRED_PREFIX = "inferred-"
# How much better than before a skill must go in a session to count as improved.
IMPROVEMENT = Fraction(1, 10)
HARD_BELOW = Fraction(1, 2)
# Fewer graded attempts than this says nothing about a rate.
MIN_GRADED = 2


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One event as the summaries read it; `score` in [0, 1], `correct` as graded upstream."""

    event_id: str
    timestamp: datetime
    type: str
    session: str | None
    activity_id: str | None
    score: float | None
    correct: bool | None
    skills: tuple[str, ...]
    duration_s: float | None

    def __post_init__(self) -> None:
        if self.timestamp.utcoffset() is None:
            raise ValueError(f"event {self.event_id}: timestamp must be timezone-aware")
        if self.score is not None and not (math.isfinite(self.score) and 0 <= self.score <= 1):
            raise ValueError(f"event {self.event_id}: score must lie in [0, 1]")
        if self.duration_s is not None and not (
            math.isfinite(self.duration_s) and self.duration_s >= 0
        ):
            raise ValueError(f"event {self.event_id}: duration_s must be >= 0")

    @property
    def end(self) -> datetime:
        return self.timestamp + timedelta(seconds=self.duration_s or 0.0)


@dataclass(frozen=True, slots=True)
class SkillInSession:
    """`attempts` counts attempts tagged with the skill; rates are None when none were graded."""

    skill: str
    attempts: int
    correct_rate: float | None
    mean_score: float | None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    inferred: bool
    started_at: datetime
    ended_at: datetime
    duration_s: float
    events: int
    attempts: int
    mean_score: float | None
    skills_practised: tuple[SkillInSession, ...]
    improved: tuple[str, ...]
    hard: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Group:
    session_id: str
    inferred: bool
    events: tuple[SessionEvent, ...]  # in (timestamp, event_id) order


def summarize_sessions(
    events: Sequence[SessionEvent], gap: timedelta = INACTIVITY_GAP
) -> list[SessionSummary]:
    """One summary per session, oldest first (by start, then id).

    Attempts are events of an attempt type (`exercise.attempted`, `assessment.submitted`).
    A skill is `improved` when its correct rate in the session is at least 0.1 above its
    rate over all earlier sessions, and `hard` when its rate in the session is below 0.5;
    both need at least 2 graded attempts (those with `correct` known) in the session, and
    `improved` also 2 graded attempts before it.
    """
    if gap <= timedelta(0):
        raise ValueError(f"gap must be positive, got {gap}")
    ordered = sorted(events, key=lambda e: (e.timestamp, e.event_id))
    groups = _explicit_groups(ordered) + _inferred_groups(ordered, gap)
    spanned = sorted(((_span(g), g) for g in groups), key=lambda sg: (sg[0][0], sg[1].session_id))

    # Graded attempts per skill in all sessions so far: (correct, graded).
    history: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    summaries = []
    for (started_at, ended_at), group in spanned:
        attempts = [e for e in group.events if e.type in ATTEMPT_EVENT_TYPES]
        skills = _skills(attempts)
        tallies = {skill: _tally(skill, attempts) for skill in skills}
        improved = tuple(s for s in skills if _improved(tallies[s], history[s]))
        hard = tuple(s for s in skills if _hard(tallies[s]))
        summaries.append(
            SessionSummary(
                session_id=group.session_id,
                inferred=group.inferred,
                started_at=started_at,
                ended_at=ended_at,
                duration_s=(ended_at - started_at).total_seconds(),
                events=len(group.events),
                attempts=len(attempts),
                mean_score=_mean(e.score for e in attempts),
                skills_practised=tuple(_skill_in_session(s, attempts) for s in skills),
                improved=improved,
                hard=hard,
            )
        )
        for skill, (correct, graded) in tallies.items():
            before = history[skill]
            history[skill] = (before[0] + correct, before[1] + graded)
    return summaries


def session_durations(
    events: Sequence[SessionEvent], gap: timedelta = INACTIVITY_GAP
) -> list[float]:
    """The sessions' durations in seconds, in the order of `summarize_sessions`, without the
    rest of the summaries (what activity patterns need, for a fraction of the work)."""
    if gap <= timedelta(0):
        raise ValueError(f"gap must be positive, got {gap}")
    ordered = sorted(events, key=lambda e: (e.timestamp, e.event_id))
    groups = _explicit_groups(ordered) + _inferred_groups(ordered, gap)
    spans = sorted(((_span(g), g.session_id) for g in groups), key=lambda s: (s[0][0], s[1]))
    return [(ended - started).total_seconds() for (started, ended), _ in spans]


def _explicit_groups(ordered: Sequence[SessionEvent]) -> list[_Group]:
    by_id: dict[str, list[SessionEvent]] = defaultdict(list)
    for event in ordered:
        if event.session is not None:
            by_id[event.session].append(event)
    return [_Group(sid, False, tuple(evs)) for sid, evs in by_id.items()]


def _inferred_groups(ordered: Sequence[SessionEvent], gap: timedelta) -> list[_Group]:
    """Cut session-less events where nothing happened for longer than `gap`.

    Inactivity is measured from the end of the latest activity so far (timestamp plus
    duration), not from the previous timestamp: a learner watching a 45-minute video is
    not inactive during it.
    """
    groups: list[_Group] = []
    current: list[SessionEvent] = []
    active_until: datetime | None = None
    for event in (e for e in ordered if e.session is None):
        if active_until is not None and event.timestamp - active_until > gap:
            groups.append(_Group(INFERRED_PREFIX + current[0].event_id, True, tuple(current)))
            current = []
            active_until = None
        current.append(event)
        active_until = event.end if active_until is None else max(active_until, event.end)
    if current:
        groups.append(_Group(INFERRED_PREFIX + current[0].event_id, True, tuple(current)))
    return groups


def _span(group: _Group) -> tuple[datetime, datetime]:
    """Start and end: declared by session.started / session.ended when sent, else observed.

    The observed end is the latest end of any event (timestamp plus duration), which is the
    last event plus its duration unless an earlier event ran longer.
    """
    starts = [e.timestamp for e in group.events if e.type == "session.started"]
    ends = [e.timestamp for e in group.events if e.type == "session.ended"]
    started_at = min(starts) if starts else group.events[0].timestamp
    ended_at = max(ends) if ends else max(e.end for e in group.events)
    # Clocks of client devices disagree: never report a negative duration.
    return started_at, max(started_at, ended_at)


def _skills(attempts: Sequence[SessionEvent]) -> list[str]:
    return sorted({skill for e in attempts for skill in e.skills})


def _tally(skill: str, attempts: Sequence[SessionEvent]) -> tuple[int, int]:
    graded = [e.correct for e in attempts if skill in e.skills and e.correct is not None]
    return sum(graded), len(graded)


# Rates are compared as exact fractions: in floats 0.6 - 0.5 < 0.1, and 3/5 vs 1/2 would
# not count as improved.
def _improved(now: tuple[int, int], before: tuple[int, int]) -> bool:
    if now[1] < MIN_GRADED or before[1] < MIN_GRADED:
        return False
    return Fraction(*now) - Fraction(*before) >= IMPROVEMENT


def _hard(now: tuple[int, int]) -> bool:
    return now[1] >= MIN_GRADED and Fraction(*now) < HARD_BELOW


def _skill_in_session(skill: str, attempts: Sequence[SessionEvent]) -> SkillInSession:
    mine = [e for e in attempts if skill in e.skills]
    correct, graded = _tally(skill, mine)
    return SkillInSession(
        skill=skill,
        attempts=len(mine),
        correct_rate=correct / graded if graded else None,
        mean_score=_mean(e.score for e in mine),
    )


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return math.fsum(known) / len(known) if known else None
