"""`stride fit risk`: held-out AUC and calibration printed, the floor applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stride.bootstrap import open_engine
from stride.ingest.pipeline import TenantScope
from stride.store.tenants import get_tenant
from tests.api.test_analytics_risk import outcomes_tenant
from tests.fixtures.tenant import TenantUnderTest

Cli = Callable[..., Any]


def _tenant(stride_cli: Cli, *, informative: bool) -> str:
    created = stride_cli("tenants", "create", "acme", "--json")
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, created["tenant_id"])
    assert row is not None
    outcomes_tenant(
        engine,
        TenantUnderTest(TenantScope(row.id, row.learner_secret), created["api_key"]),
        informative=informative,
    )
    engine.dispose()
    return str(created["tenant_id"])


def test_fit_risk_accepts_an_informative_model(stride_cli: Cli) -> None:
    tenant = _tenant(stride_cli, informative=True)
    fit = stride_cli("fit", "risk", "--tenant", tenant, "--json")
    assert fit["status"] == "accepted" and fit["auc"] >= 0.9
    assert 0 <= fit["brier"] < 0.25 and fit["learners"] == 40
    assert sum(b["count"] for b in fit["reliability"]) > 0
    text = stride_cli("fit", "risk", "--tenant", tenant).output
    assert "Held-out AUC" in text and "accepted" in text
    # An unreachable floor refuses the same model.
    refused = stride_cli("fit", "risk", "--tenant", tenant, "--floor", "1.0", "--json")
    assert refused["status"] == ("accepted" if fit["auc"] >= 1.0 else "rejected")


def test_fit_risk_refuses_a_model_below_the_floor(stride_cli: Cli) -> None:
    tenant = _tenant(stride_cli, informative=False)
    fit = stride_cli("fit", "risk", "--tenant", tenant, "--json")
    assert fit["status"] == "rejected" and fit["floor"] == 0.7
    assert "REJECTED" in stride_cli("fit", "risk", "--tenant", tenant).output


def test_fit_risk_without_outcomes_is_a_clear_error(stride_cli: Cli) -> None:
    created = stride_cli("tenants", "create", "empty", "--json")
    failed = stride_cli("fit", "risk", "--tenant", created["tenant_id"], "--json", expect_exit=1)
    assert failed["error"] == "conflict"
    bad = stride_cli(
        "fit", "risk", "--tenant", created["tenant_id"], "--floor", "0.2", expect_exit=2
    )
    assert "0.5" in bad.output
