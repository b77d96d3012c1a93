"""`stride webhooks list` and `stride webhooks dispatch --once` against a local receiver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stride.bootstrap import open_engine
from stride.clock import utc_now
from stride.config import get_settings
from stride.tenancy.audit import operator_principal
from stride.webhooks.service import WebhookRequest, enqueue_test, register_webhook
from tests.webhook_receiver import running_receiver

Cli = Callable[..., Any]


def test_list_and_dispatch_once(stride_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIDE_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
    get_settings.cache_clear()
    tenant_id: str = stride_cli("tenants", "create", "hooked", "--json")["tenant_id"]
    assert stride_cli("webhooks", "list", "--tenant", tenant_id, "--json") == {"webhooks": []}
    with running_receiver() as receiver:
        engine = open_engine()
        with engine.connect() as connection:
            actor = operator_principal(connection, tenant_id)
        request = WebhookRequest(receiver.url, ["goal.met"], "cli test")
        hook = register_webhook(engine, actor, request, True, utc_now())
        enqueue_test(engine, tenant_id, hook.id, utc_now())
        engine.dispose()
        listed = stride_cli("webhooks", "list", "--tenant", tenant_id, "--json")["webhooks"]
        assert [(h["id"], h["url"]) for h in listed] == [(hook.id, receiver.url)]
        assert "secret" not in listed[0]
        report = stride_cli("webhooks", "dispatch", "--once", "--json")
    assert report["delivered"] == 1 and len(receiver.requests) == 1
    unknown = stride_cli("webhooks", "list", "--tenant", "nobody", expect_exit=1)
    assert "No tenant" in unknown.output
