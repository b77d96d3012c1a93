"""`stride analytics retention|lifecycle --program P`: the API's figures and refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stride.api.app import create_app
from stride.bootstrap import open_engine
from stride.config import get_settings
from stride.ingest.pipeline import TenantScope
from tests.api.test_analytics_engagement_program import (
    LIFECYCLE,
    P1,
    P2,
    RETENTION,
    _cohorts,
    _get,
    _populate,
    _week,
)
from tests.fixtures.tenant import TenantUnderTest

Cli = Callable[..., Any]
SPAN = ("--period", "week", "--from", str(_week(0)), "--to", str(_week(3) + timedelta(days=6)))


@pytest.fixture
def populated(stride_cli: Cli) -> Iterator[tuple[str, TestClient, dict[str, str]]]:
    """A tenant made by the CLI, given the API test's plan through an app on the CLI's database:
    (tenant id, client, admin headers)."""
    created = stride_cli("tenants", "create", "acme", "--json")
    engine = open_engine()
    app = create_app(get_settings(), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        # _populate needs only the admin key; the scope's secret is never read.
        tenant = TenantUnderTest(TenantScope(created["tenant_id"], ""), created["api_key"])
        admin = _populate(client, tenant, minimum=2)
        yield created["tenant_id"], client, admin
    engine.dispose()


@pytest.mark.parametrize("entry", ["first", "recurring"])
@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_program_retention_in_the_cli_equals_the_api(
    stride_cli: Cli, populated: tuple[str, TestClient, dict[str, str]], entry: str, mode: str
) -> None:
    tenant_id, client, admin = populated
    args = ("analytics", "retention", "--tenant", tenant_id, *SPAN, "--entry", entry)
    reports = {}
    for program in (P1, P2):
        ours = stride_cli(*args, "--return", mode, "--program", program, "--json")
        api = _get(client, admin, RETENTION, program=program, entry=entry, **{"return": mode})
        assert ours == api and ours["program"] == program and ours["cohorts"]
        reports[program] = _cohorts(ours)
    # Without --program, the tenant's cohorts: different figures, so the option does reach
    # the service.
    everyone = stride_cli(*args, "--return", mode, "--json")
    assert everyone["program"] is None and _cohorts(everyone) not in reports.values()


def test_program_retention_by_hand_and_as_a_table(
    stride_cli: Cli, populated: tuple[str, TestClient, dict[str, str]]
) -> None:
    tenant_id, _, _ = populated
    args = ("analytics", "retention", "--tenant", tenant_id, *SPAN, "--program", P1)
    body = stride_cli(*args, "--json")
    # P1's first periods: week 0 A, B, C; week 1 D and H (as in the API test).
    assert _cohorts(body) == [(0, 3, [3, 1, 2, 1]), (1, 2, [2, 1, 1, 0])]
    shown = stride_cli(*args).stdout
    assert str(_week(0)) in shown and "mean" in shown


def test_program_lifecycle_in_the_cli_equals_the_api(
    stride_cli: Cli, populated: tuple[str, TestClient, dict[str, str]]
) -> None:
    tenant_id, client, admin = populated
    args = ("analytics", "lifecycle", "--tenant", tenant_id, *SPAN)
    for program in (P1, P2):
        ours = stride_cli(*args, "--program", program, "--json")
        assert ours == _get(client, admin, LIFECYCLE, program=program)
        assert ours["program"] == program and ours["series"][0]["active"] == {P1: 3, P2: 4}[program]
    # Below min_group_size the series is withheld, and the table says why.
    policy = client.put("/v1/privacy/policy", json={"min_group_size": 5}, headers=admin)
    assert policy.status_code == 200, policy.text
    withheld = stride_cli(*args, "--program", P2, "--json")
    assert withheld == _get(client, admin, LIFECYCLE, program=P2)
    assert withheld["series"] == [] and withheld["withheld_groups"] == 1
    assert "fewer than 5" in " ".join(stride_cli(*args, "--program", P2).stdout.split())


@pytest.mark.parametrize(
    ("command", "options", "field"),
    [
        ("retention", ("--program", P1, "--start-event", "activity.completed"), "start_event"),
        ("retention", ("--program", P1, "--return-event", "activity.started"), "return_event"),
        ("retention", ("--program", "p" * 257), "program"),
        ("retention", ("--program", "a\x01b"), "program"),
        ("lifecycle", ("--program", ""), "program"),
        ("lifecycle", ("--program", "a\tb"), "program"),
    ],
)
def test_refused_programs_exit_non_zero_naming_the_field(
    stride_cli: Cli, command: str, options: tuple[str, ...], field: str
) -> None:
    tenant_id = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    args = ("analytics", command, "--tenant", tenant_id, *options)
    refused = stride_cli(*args, "--json", expect_exit=1)
    # The same error paths as the API's 422 (tests/api/test_analytics_engagement_program.py).
    assert refused["error"] == "invalid_input"
    assert f"query.{field}" in [e["path"] for e in refused["errors"]]
    text = stride_cli(*args, expect_exit=1)
    assert f"query.{field}" in text.stderr and "Error" in text.stderr
