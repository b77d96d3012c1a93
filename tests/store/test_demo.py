from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from stride.demo.generator import demo_learners
from stride.demo.service import run_demo
from stride.learners.queries import get_progress
from stride.privacy.pseudonym import learner_key
from stride.store.tables import learner_goals, learner_stats, learners
from stride.store.tenants import get_tenant

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_demo_fills_a_tenant_with_learners_in_their_own_time_zones(engine: Engine) -> None:
    result = run_demo(engine, NOW, seed=5, learners=30, days=20)
    assert result.events > 1000 and result.rejected == 0
    with engine.connect() as connection:
        zones = connection.execute(
            select(func.count(func.distinct(learners.c.timezone))).where(
                learners.c.tenant_id == result.tenant_id
            )
        ).scalar_one()
        active = connection.execute(
            select(func.count()).where(learner_stats.c.tenant_id == result.tenant_id)
        ).scalar_one()
        goal_kinds = dict(
            connection.execute(
                select(learner_goals.c.kind, func.count())
                .where(learner_goals.c.tenant_id == result.tenant_id)
                .group_by(learner_goals.c.kind)
            ).all()
        )
        tenant = get_tenant(connection, result.tenant_id)
        assert tenant is not None
        key = learner_key(tenant.learner_secret, result.sample_learner)
        progress = get_progress(connection, result.tenant_id, key, NOW)
    assert zones >= 3
    assert active >= 20
    # Learners set real goals: weekly habits on enrolling, some a module deadline.
    assert set(goal_kinds) == {"weekly_minutes", "sessions_per_week", "module_by_date"}
    assert goal_kinds["weekly_minutes"] + goal_kinds["sessions_per_week"] >= 20
    assert progress.timezone == demo_learners(5, 30, 20)[0].timezone
