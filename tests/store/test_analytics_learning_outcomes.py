"""Outcomes read from learner_skills on both databases (weeks are read in SQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from stride.analytics.outcomes_service import get_outcomes
from stride.progress.bkt import DEFAULT_PARAMS
from stride.store.tables import learner_skills
from tests.store.test_analytics_learning import _tenant

W1 = date(2024, 4, 29)  # Mondays
W2, W3, W4 = (W1 + timedelta(weeks=n) for n in (1, 2, 3))


def _skill(
    tenant_id: str,
    learner: str,
    skill: str,
    weekly: list[tuple[date, float]],
    attempts: int = 1,
    acquired: date | None = None,
) -> dict[str, object]:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    return {
        "tenant_id": tenant_id,
        "learner_key": learner,
        "skill_id": skill,
        "p_mastery": weekly[-1][1],
        "attempts": attempts,
        "correct": 0,
        "last_attempt_at": at,
        "last_attempt_event": "e",
        "acquired_at": datetime(acquired.year, acquired.month, acquired.day, 12, tzinfo=UTC)
        if acquired
        else None,
        "recent": [],
        "weekly": [[week.isoformat(), value] for week, value in weekly],
    }


def test_outcomes_over_a_period(engine: Engine) -> None:
    tenant = _tenant(engine, 2)  # small_catalog: BKT, threshold 0.95, default prior
    t = tenant.tenant_id
    rows = [
        _skill(t, "a", "planning", [(W1, 0.5), (W3, 0.97)], 6, acquired=W3),
        _skill(t, "a", "budgeting", [(W2, 0.96)], 2, acquired=W2),
        _skill(t, "b", "planning", [(W1, 0.3)], 1),
        _skill(t, "c", "writing", [(W2, 0.4), (W3, 0.6)], 3),
    ]
    with engine.begin() as connection:
        connection.execute(insert(learner_skills), rows)
    with engine.connect() as connection:
        view = get_outcomes(connection, t, W2, W4)
        opened = get_outcomes(connection, t, None, W4)
    execution = {d.dimension_id: d for d in view.dimensions}["execution"]
    assert execution.learners == 2
    prior = DEFAULT_PARAMS.prior  # 0.3: skills without parameters of their own
    a_start, a_end = (0.5 + 2 * prior) / 3, (0.97 + 2 * 0.96) / 3
    b = (0.3 + 2 * prior) / 3
    assert execution.mean_start == pytest.approx((a_start + b) / 2)
    assert execution.mean_end == pytest.approx((a_end + b) / 2)
    assert execution.gap_closure == 0.5
    # Communication has one learner (c): withheld below min_group_size 2.
    assert view.withheld_dimensions == 1
    # Velocity: a acquired 2 skills over 2 active weeks (W2, W3); b has no week in the period;
    # c acquired nothing in 2 weeks.
    assert view.velocity is not None
    assert (view.velocity.learners, view.velocity.mean) == (2, 0.5)
    assert view.practice_vs_improvement is not None and view.practice_vs_improvement.n == 3
    opened_execution = {d.dimension_id: d for d in opened.dimensions}["execution"]
    assert opened_execution.mean_start == pytest.approx(prior)
