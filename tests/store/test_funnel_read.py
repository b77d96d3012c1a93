"""A funnel reads each step's stored times as one range of the key, lined up with the
learners of its first step: never a join, for which PostgreSQL, with no statistics yet on a
young table, paired every row of one step with every row of the next (180 ms at 1,000
learners, growing with their square)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, insert

from stride.store.funnel_times import _step_sql, funnel_times, rows_of
from stride.store.tables import funnel_steps
from stride.store.tenant_context import tenant_context

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
            assert rows_of(times)[n] == stored[key].get(step, [])
    with engine.connect() as connection:
        learners, occurrences = funnel_times(connection, str(uuid.uuid4()), STEPS)
    assert learners == [] and [rows_of(times) for times in occurrences] == [[], [], []]


def test_each_step_is_one_range_of_the_key(engine: Engine) -> None:
    tenant = str(uuid.uuid4())
    _fill(engine, tenant, 1000)
    with engine.connect() as connection:
        sql = _step_sql(connection)
        if connection.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(f"EXPLAIN {sql}", (tenant, STEPS[1])).all()
            plan = "\n".join(str(row[0]) for row in rows)
            assert "Seq Scan" not in plan and "Join" not in plan, plan
        else:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (tenant, STEPS[1]))
            plan = "\n".join(str(row[-1]) for row in rows)
            assert plan == "SEARCH funnel_steps USING PRIMARY KEY (tenant_id=? AND step=?)", plan


def test_times_stored_as_other_json_numbers_still_read(engine: Engine) -> None:
    tenant = str(uuid.uuid4())
    rows = [
        {"tenant_id": tenant, "step": STEPS[0], "learner_key": "a", "times": [1.0, 2]},
        {"tenant_id": tenant, "step": STEPS[0], "learner_key": "b", "times": []},
    ]
    with engine.begin() as connection:
        connection.execute(insert(funnel_steps), rows)
    with engine.connect() as connection:
        learners, [times] = funnel_times(connection, tenant, STEPS[:1])
    assert dict(zip(learners, rows_of(times), strict=True)) == {"a": [1, 2], "b": []}


@pytest.mark.postgres
def test_the_read_acts_for_its_tenant_under_row_level_security(
    postgres_engine: Engine, app_role_engine: Engine
) -> None:
    """As Stride connects in production (an ordinary role, row security binding), acting for
    its tenant, the read sees that tenant's rows."""
    tenant = str(uuid.uuid4())
    stored = _fill(postgres_engine, tenant, 5)
    with tenant_context(tenant), app_role_engine.connect() as connection:
        learners, occurrences = funnel_times(connection, tenant, STEPS)
    assert sorted(learners) == sorted(stored)
    assert sum(len(rows_of(times)) for times in occurrences) == 3 * len(stored)
