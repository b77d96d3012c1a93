"""Analyses of a learner's own history, computed on read: sessions, trends and patterns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection

from stride.events.recorded import RecordedEvent
from stride.events.types import ATTEMPT_EVENT_TYPES
from stride.ingest.mastery_projector import mastery_rules
from stride.learners.history import learner_attempts, learner_events, learner_moments
from stride.learners.profile_lookup import learner_profile
from stride.progress.mastery import MasteryRules, graded_attempt
from stride.progress.patterns import Patterns, activity_patterns
from stride.progress.sessions import (
    SessionEvent,
    SessionSummary,
    session_durations,
    summarize_sessions,
)
from stride.progress.trends import ScorePoint, Trend, skill_trend


@dataclass(frozen=True)
class SessionsView:
    learner_key: str
    total: int
    limit: int
    offset: int
    data: list[SessionSummary]  # most recent first


@dataclass(frozen=True)
class SkillTrendView:
    skill_id: str
    trend: Trend


@dataclass(frozen=True)
class TrendsView:
    learner_key: str
    overall: Trend  # every scored attempt, whatever its skill
    skills: list[SkillTrendView]


@dataclass(frozen=True)
class PatternsView:
    learner_key: str
    timezone: str
    patterns: Patterns


def _session_events(events: list[RecordedEvent], rules: MasteryRules) -> list[SessionEvent]:
    session_events = []
    for event in events:
        attempt = graded_attempt(event, rules)
        session_events.append(
            SessionEvent(
                event_id=event.event_id,
                timestamp=event.timestamp,
                type=event.type,
                session=event.session,
                activity_id=event.activity_id,
                score=event.score,
                correct=attempt.correct if attempt else None,
                skills=attempt.skills if attempt else event.skills,
                duration_s=event.duration_s,
            )
        )
    return session_events


def _sessions(connection: Connection, tenant_id: str, learner_key: str) -> list[SessionSummary]:
    events = learner_events(connection, tenant_id, learner_key)
    return summarize_sessions(_session_events(events, mastery_rules(connection, tenant_id)))


def get_sessions(
    connection: Connection, tenant_id: str, learner_key: str, limit: int, offset: int
) -> SessionsView:
    learner_profile(connection, tenant_id, learner_key)
    sessions = _sessions(connection, tenant_id, learner_key)
    newest_first = sessions[::-1]
    return SessionsView(
        learner_key, len(sessions), limit, offset, newest_first[offset : offset + limit]
    )


def get_trends(connection: Connection, tenant_id: str, learner_key: str) -> TrendsView:
    learner_profile(connection, tenant_id, learner_key)
    rules = mastery_rules(connection, tenant_id)
    events = learner_attempts(connection, tenant_id, learner_key, ATTEMPT_EVENT_TYPES)
    overall: list[ScorePoint] = []
    by_skill: dict[str, list[ScorePoint]] = defaultdict(list)
    for event in events:
        attempt = graded_attempt(event, rules)
        score = attempt.score if attempt else event.score
        if score is None:
            continue
        point = ScorePoint(event.timestamp, score)
        overall.append(point)
        for skill in attempt.skills if attempt else event.skills:
            by_skill[skill].append(point)
    return TrendsView(
        learner_key,
        skill_trend(overall),
        [SkillTrendView(skill, skill_trend(points)) for skill, points in sorted(by_skill.items())],
    )


def get_patterns(connection: Connection, tenant_id: str, learner_key: str) -> PatternsView:
    profile = learner_profile(connection, tenant_id, learner_key)
    moments = learner_moments(connection, tenant_id, learner_key)
    patterns = activity_patterns(
        [m.timestamp for m in moments], session_durations(moments), profile.timezone
    )
    return PatternsView(learner_key, profile.timezone, patterns)
