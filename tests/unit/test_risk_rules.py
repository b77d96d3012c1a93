"""The at-risk rules and the outcomes the model learns from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from stride.analytics.risk_rules import (
    Candidate,
    Outcome,
    ReasonCode,
    known_outcome,
    rule_reasons,
)

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
BASE = Candidate(
    learner_key="k",
    program_id="prog",
    enrolled_at=NOW - timedelta(days=40),
    active_days=5,
    last_active=NOW - timedelta(days=9, hours=1),
    completion=0.5,
    completed_at=None,
    cancelled_at=None,
    planned_share=None,
)


def test_an_idle_learner_is_flagged_with_the_reason() -> None:
    reasons = rule_reasons(BASE, NOW, 7)
    assert [(r.code, r.detail) for r in reasons] == [
        (ReasonCode.INACTIVE, "No activity for 9 days (last on 2024-05-23); the limit is 7.")
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"active_days": 1},  # a first visit only
        {"last_active": NOW - timedelta(days=6)},  # active within the limit
        {"completed_at": NOW - timedelta(days=20)},
        {"cancelled_at": NOW - timedelta(days=20)},
    ],
)
def test_who_the_rules_leave_out(changes: dict[str, object]) -> None:
    assert rule_reasons(replace(BASE, **changes), NOW, 7) == []  # type: ignore[arg-type]


def test_being_behind_plan_is_a_second_reason() -> None:
    behind = replace(BASE, completion=0.25, planned_share=0.9)
    assert [r.code for r in rule_reasons(behind, NOW, 7)] == [
        ReasonCode.INACTIVE,
        ReasonCode.BEHIND_PLAN,
    ]
    assert rule_reasons(behind, NOW, 10) == []


def test_known_outcomes() -> None:
    done = replace(BASE, completed_at=NOW - timedelta(days=3))
    assert known_outcome(done, NOW).outcome is Outcome.COMPLETED  # type: ignore[union-attr]
    cancelled = replace(BASE, cancelled_at=NOW - timedelta(days=3))
    assert known_outcome(cancelled, NOW).outcome is Outcome.DROPPED_OUT  # type: ignore[union-attr]
    gone = replace(BASE, last_active=NOW - timedelta(days=31))
    outcome = known_outcome(gone, NOW)
    assert outcome is not None and outcome.outcome is Outcome.DROPPED_OUT
    assert outcome.at == NOW - timedelta(days=1)  # 30 days after the last activity
    assert known_outcome(BASE, NOW) is None  # still open
