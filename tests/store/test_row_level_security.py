"""PostgreSQL Row-Level Security (migration 0004): the second wall between tenants.

The `postgres` superuser bypasses RLS, so the proofs connect as an ordinary role
(`app_role_engine`), the way Stride should connect in production.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    TypeDecorator,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError

from stride.api.app import create_app
from stride.api.deps import require
from stride.config import Settings
from stride.store.tables import metadata
from stride.store.tenant_context import current_tenant, tenant_context
from stride.tenancy.service import Principal
from tests.api.helpers import bearer
from tests.fixtures.tenant import make_tenant

_SAMPLES: dict[type, Any] = {
    int: 1,
    float: 0.5,
    bool: True,
    datetime: datetime(2024, 5, 1, tzinfo=UTC),
    date: date(2024, 5, 1),
    dict: {},
    bytes: b"\x00",  # credential_status_lists.bits
}


_TENANT: Column[Any] = Column("tenant_id", String(36))


def _tenant_tables() -> list[tuple[Table, Column[Any]]]:
    """Every tenant-owned table of the declared schema, with the column naming the tenant."""
    found = []
    for table in metadata.sorted_tables:
        column = table.c.id if table.name == "tenants" else table.c.get("tenant_id")
        if column is not None:
            found.append((table, column))
    return found


def _row(table: Table, column: Column[Any], tenant_id: str) -> dict[str, Any]:
    """A valid row of any table for the tenant, built from the column types."""
    row: dict[str, Any] = {}
    for c in table.c:
        if c.autoincrement is True:
            continue
        sql_type = c.type.impl_instance if isinstance(c.type, TypeDecorator) else c.type
        kind = dict if isinstance(sql_type, JSON) else sql_type.python_type
        row[c.name] = f"v{uuid.uuid4().hex[:12]}" if kind is str else _SAMPLES[kind]
    row[column.name] = tenant_id
    if table.name == "api_keys":
        row["revoked_at"] = None
    return row


@pytest.fixture
def two_tenants(postgres_engine: Engine) -> tuple[str, str]:
    """Tenants A and B with one row in every tenant-owned table (written as the superuser)."""
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with postgres_engine.begin() as connection:
        for table, column in _tenant_tables():
            for tenant_id in (a, b):
                connection.execute(table.insert().values(_row(table, column, tenant_id)))
    return a, b


@pytest.mark.postgres
def test_every_tenant_table_has_its_policy(postgres_engine: Engine) -> None:
    """Fails when a migration adds a tenant-owned table without RLS (see 0004's docstring)."""
    with postgres_engine.connect() as connection:
        flags = dict(
            connection.execute(
                text(
                    "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                    "WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p')"
                )
            ).all()
        )
        policies = {
            (table, name): (qual, check)
            for table, name, qual, check in connection.execute(
                text(
                    "SELECT tablename, policyname, qual, with_check FROM pg_policies "
                    "WHERE schemaname = current_schema()"
                )
            )
        }
        # The partitioned log's partitions (PostgreSQL, migration 0020) carry it too, so that
        # a query naming a partition itself is no way around it.
        partitions = connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'"
            )
        ).scalars()
        tables = [*_tenant_tables(), *((Table(name, MetaData()), _TENANT) for name in partitions)]
    missing = []
    for table, column in tables:
        qual, check = policies.get((table.name, "tenant_isolation"), (None, None))
        guarded = all(
            clause is not None and column.name in clause and "stride.tenant_id" in clause
            for clause in (qual, check)
        )
        if not (flags.get(table.name) and guarded):
            missing.append(table.name)
    assert not missing, (
        f"Tenant-owned tables without forced Row-Level Security and the tenant_isolation "
        f"policy: {missing}. Enable it in the migration that adds them (see 0004)."
    )


@pytest.mark.postgres
def test_a_tenant_context_sees_and_touches_only_its_tenant(
    app_role_engine: Engine, two_tenants: tuple[str, str]
) -> None:
    a, b = two_tenants
    with tenant_context(a):
        for table, column in _tenant_tables():
            with app_role_engine.connect() as connection:
                visible = set(connection.execute(select(column).distinct()).scalars())
                assert visible == {a}, table.name
            with app_role_engine.begin() as connection:
                touched = [
                    connection.execute(update(table).where(column == b).values({column: b})),
                    connection.execute(table.delete().where(column == b)),
                ]
                assert [result.rowcount for result in touched] == [0, 0], table.name
            refused = [table.insert().values(_row(table, column, b))]
            if table.name != "tenants":  # moving A's row to B (tenants' id is a key)
                refused.append(update(table).where(column == a).values({column: b}))
            for statement in refused:
                with (
                    pytest.raises(DBAPIError, match="row-level security"),
                    app_role_engine.begin() as connection,
                ):
                    connection.execute(statement)


@pytest.mark.postgres
def test_without_a_tenant_context_everything_is_visible(
    app_role_engine: Engine, two_tenants: tuple[str, str]
) -> None:
    """Operator mode (CLI, migrations, authentication), and the setting is per transaction:
    the pooled connection that just served A shows every tenant again."""
    a, b = two_tenants
    with app_role_engine.connect() as connection:
        for table, column in _tenant_tables():
            with tenant_context(a), connection.begin():
                in_a = connection.execute(
                    select(func.count()).select_from(table).where(column == b)
                ).scalar()
            with connection.begin():
                counted = select(column, func.count()).where(column.in_([a, b])).group_by(column)
                both = dict(connection.execute(counted).all())
            assert (in_a, both) == (0, {a: 1, b: 1}), table.name


def test_each_request_runs_in_its_callers_tenant(engine: Engine) -> None:
    """`require` sets the context in the request's task; the sync endpoint, run in a worker
    thread with a copy of that context, sees it, and so does its transaction's setting."""
    app = create_app(Settings(DATABASE_URL=str(engine.url)), engine=engine)

    @app.get("/probe")
    def probe(
        principal: Annotated[Principal, Depends(require("catalog:read"))],
    ) -> dict[str, str | None]:
        setting = None
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                setting = connection.execute(
                    text("SELECT current_setting('stride.tenant_id', true)")
                ).scalar()
        return {"context": current_tenant.get(), "setting": setting}

    a, b = make_tenant(engine), make_tenant(engine)
    with TestClient(app) as client:
        for tenant in (a, b, a):
            answer = client.get("/probe", headers=bearer(tenant.admin_key)).json()
            setting = tenant.tenant_id if engine.dialect.name == "postgresql" else None
            assert answer == {"context": tenant.tenant_id, "setting": setting}
    assert current_tenant.get() is None, "nothing leaks into the caller's context"
