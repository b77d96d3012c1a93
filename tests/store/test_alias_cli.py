"""`stride learners link|aliases|unlink` and the alias-aware `export`/`erase` commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from stride.bootstrap import open_engine
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import TenantScope, ingest_events
from stride.learners import queries
from stride.privacy.pseudonym import learner_key
from stride.store.tenants import get_tenant
from tests.factories import make_event

NOW = datetime.now(UTC)


def _tenant_with_two_ids(stride_cli: Callable[..., Any]) -> tuple[str, str]:
    tenant = stride_cli("tenants", "create", "aliases", "--json")["tenant_id"]
    engine = open_engine()
    with engine.connect() as connection:
        row = get_tenant(connection, tenant)
    assert row is not None
    sent = [
        make_event(
            learner=("ana", "ana-app")[n % 2], timestamp=(NOW - timedelta(hours=n)).isoformat()
        )
        for n in range(6)
    ]
    ingest_events(
        engine,
        TenantScope(tenant, row.learner_secret),
        sent,
        ValidationLimits(NOW, timedelta(hours=24)),
        NOW,
    )
    return tenant, row.learner_secret


def _events_of(tenant: str, secret: str, learner: str) -> int:
    with open_engine().connect() as connection:
        key = learner_key(secret, learner)
        return queries.get_progress(connection, tenant, key, NOW).events


def test_link_list_and_unlink_from_the_command_line(stride_cli: Callable[..., Any]) -> None:
    tenant, secret = _tenant_with_two_ids(stride_cli)
    assert _events_of(tenant, secret, "ana") == 3

    linked = stride_cli("learners", "link", "ana", "ana-app", "--tenant", tenant, "--json")
    assert linked["changed"] and linked["events_moved"] == 3 and linked["linked"]
    assert _events_of(tenant, secret, "ana") == 6
    again = stride_cli("learners", "link", "ana", "ana-app", "--tenant", tenant, "--json")
    assert again["changed"] is False
    listed = stride_cli("learners", "aliases", "ana-app", "--tenant", tenant, "--json")
    assert [a["alias"] for a in listed["aliases"]] == ["ana-app"]
    text = stride_cli("learners", "aliases", "ana", "--tenant", tenant).output
    assert "ana-app" in text

    same = stride_cli("learners", "link", "ana", "ana", "--tenant", tenant, "--json", expect_exit=1)
    assert "alias" in str(same)

    unlinked = stride_cli("learners", "unlink", "ana", "ana-app", "--tenant", tenant, "--json")
    assert unlinked["events_moved"] == 3 and unlinked["linked"] is False
    assert _events_of(tenant, secret, "ana") == 3
    assert _events_of(tenant, secret, "ana-app") == 3
    stride_cli("learners", "unlink", "ana", "ana-app", "--tenant", tenant, "--json", expect_exit=1)


def test_export_and_erase_by_an_alias_reach_the_learner(stride_cli: Callable[..., Any]) -> None:
    tenant, _ = _tenant_with_two_ids(stride_cli)
    stride_cli("learners", "link", "ana", "ana-app", "--tenant", tenant, "--json")
    exported = stride_cli("learners", "export", "ana-app", "--tenant", tenant).output
    assert exported.count('"event_id"') >= 6
    erased = stride_cli("learners", "erase", "ana-app", "--tenant", tenant, "--yes", "--json")
    assert erased["tables"]["events"] >= 6 and erased["tables"]["learner_aliases"] == 1
