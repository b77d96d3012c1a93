"""GET /xapi/statements stays a range scan as the store grows: a page without filters reads
from its cursor in (tenant_id, seq) order, and the StatementRef rule walks only the statements
that have a target, probing the rest by key (SQLite's plans; PostgreSQL plans by statistics)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, text

from stride.store import xapi

TENANT = "00000000-0000-4000-8000-0000000a11ce"


def _plan(engine: Engine, query: Select[Any]) -> list[str]:
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        return [str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]


def test_a_page_without_filters_reads_from_its_cursor(sqlite_engine: Engine) -> None:
    for where in (xapi.StatementFilter(), xapi.StatementFilter(after=1000)):
        plan = _plan(sqlite_engine, xapi._direct_matches(TENANT, where, 100))
        assert any("ix_xapi_statements_tenant_seq" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


def test_the_statement_ref_rule_never_reads_every_statement(sqlite_engine: Engine) -> None:
    filters = (
        xapi.StatementFilter(verb_key="v"),
        xapi.StatementFilter(learner_key="l", related_agents=True, after=10),
        xapi.StatementFilter(activity_key="a", related_activities=True, ascending=True),
        xapi.StatementFilter(registration="r", verb_key="v", activity_key="a"),
    )
    for where in filters:
        plan = _plan(sqlite_engine, xapi._referring_seqs(TENANT, where, 100))
        reads = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
        for step in reads:
            # The start: the partial index of statements with a target; then key probes.
            assert (
                step.startswith("SCAN chain")
                or "ix_xapi_statements_refers" in step
                or "(tenant_id=? AND statement_id=?)" in step
                or "(tenant_id=? AND seq=?" in step
            ), plan
