"""A funnel reads each step's stored times for the learners of its first step, aligned to
them, with one probe of the key per learner and later step: never pairing every row of one
step with every row of the next (which PostgreSQL chose for a join on a table it had no
statistics for yet: 180 ms at 1,000 learners, growing with their square)."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert

from stride.store.analytics_usage import _funnel_sql, funnel_times
from stride.store.tables import funnel_steps

STEPS = ("enrollment.created", "activity.progressed", "assessment.submitted")


def _fill(engine: Engine, tenant: str, learners: int) -> dict[str, dict[str, list[int]]]:
    stored: dict[str, dict[str, list[int]]] = {}
    rows = []
    for n in range(learners):
        key = f"learner-{n:05d}"
        stored[key] = {STEPS[0]: [1_000 * n]}
        if n % 3:
            stored[key][STEPS[1]] = [1_000 * n + 5, 1_000 * n + 9]
        if n % 5 == 1:
            stored[key][STEPS[2]] = [1_000 * n + 20]
        rows += [
            {"tenant_id": tenant, "step": step, "learner_key": key, "times": times}
            for step, times in stored[key].items()
        ]
    rows.append({"tenant_id": tenant, "step": STEPS[1], "learner_key": "late", "times": [1]})
    with engine.begin() as connection:
        connection.execute(insert(funnel_steps), rows)
    return stored


def test_each_step_times_come_aligned_to_the_first_steps_learners(engine: Engine) -> None:
    tenant = str(uuid.uuid4())
    stored = _fill(engine, tenant, 300)
    with engine.connect() as connection:
        learners, occurrences = funnel_times(connection, tenant, [*STEPS, STEPS[1]])
    assert sorted(learners) == sorted(stored)  # "late" never did step 1
    for n, key in enumerate(learners):
        for step, times in zip([*STEPS, STEPS[1]], occurrences, strict=True):
            assert times[n] == stored[key].get(step, [])
    with engine.connect() as connection:
        assert funnel_times(connection, str(uuid.uuid4()), STEPS) == ([], [[], [], []])


def test_later_steps_are_probes_of_the_key_not_a_pairing_of_rows(engine: Engine) -> None:
    tenant = str(uuid.uuid4())
    _fill(engine, tenant, 1000)
    with engine.connect() as connection:
        sql = _funnel_sql(connection, len(STEPS))
        params = (*STEPS[1:], tenant, STEPS[0])
        if connection.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(f"EXPLAIN ANALYZE {sql}", params).all()
            plan = "\n".join(str(row[0]) for row in rows)
            assert "Join Filter" not in plan, plan
            assert "Rows Removed by Join Filter" not in plan, plan
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            plan = "\n".join(str(row[-1]) for row in rows)
            probe = "PRIMARY KEY (tenant_id=? AND step=? AND learner_key=?)"
            assert plan.count(probe) == len(STEPS) - 1, plan
