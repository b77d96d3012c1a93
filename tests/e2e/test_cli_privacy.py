"""`stride privacy` and the master key commands, end to end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import column, select, table

from stride.bootstrap import open_engine
from stride.config import get_settings
from stride.privacy.secrets import forget_cached_keys
from stride.store.tables import audit_log
from stride.store.tenants import get_tenant

Cli = Callable[..., Any]


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    forget_cached_keys()
    yield
    forget_cached_keys()


def test_policy_and_consent_from_the_shell(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    shown = stride_cli("privacy", "policy", "show", "--tenant", tenant, "--json")
    assert shown["consent"]["research"] == "opt-in"

    policy = tmp_path / "policy.yaml"
    policy.write_text("consent:\n  research: opt-out\nretention:\n  raw_events_days: 400\n")
    applied = stride_cli("privacy", "policy", "apply", str(policy), "--tenant", tenant, "--json")
    assert applied["consent"]["research"] == "opt-out"
    assert applied["retention"]["raw_events_days"] == 400

    broken = tmp_path / "broken.yaml"
    broken.write_text("min_group_size: 1\nconsent: {analytics: sometimes}\n")
    failed = stride_cli(
        "privacy", "policy", "apply", str(broken), "--tenant", tenant, "--json", expect_exit=1
    )
    assert {e["path"] for e in failed["errors"]} == {"min_group_size", "consent.analytics"}

    changed = stride_cli(
        "privacy", "consent", "set", "ana", "--tenant", tenant,
        "--withdraw", "research", "--grant", "leaderboard", "--json",
    )  # fmt: skip
    assert changed["purposes"]["research"] is False
    assert changed["purposes"]["leaderboard"] is True
    shown_consent = stride_cli("privacy", "consent", "show", "ana", "--tenant", tenant, "--json")
    assert [h["purpose"] for h in shown_consent["history"]] == ["leaderboard", "research"]
    stride_cli(
        "privacy", "consent", "set", "ana", "--tenant", tenant, "--grant", "fame", expect_exit=1
    )
    with open_engine().connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action, audit_log.c.key_id).where(audit_log.c.tenant_id == tenant)
        ).all()
    assert ("policy.update", "cli") in actions and ("consent.update", "cli") in actions


def _sealed(tenant_id: str) -> str:
    raw = table("tenants", column("id"), column("learner_secret"))
    with open_engine().connect() as connection:
        value: str = connection.execute(
            select(raw.c.learner_secret).where(raw.c.id == tenant_id)
        ).scalar_one()
    return value


def _secret(tenant_id: str) -> str:
    with open_engine().connect() as connection:
        row = get_tenant(connection, tenant_id)
    assert row is not None
    return row.learner_secret


def test_rotating_a_key_file(
    stride_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRIDE_SECRET_KEY")
    key_file = tmp_path / "stride.key"
    monkeypatch.setenv("STRIDE_SECRET_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    tenant = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    assert key_file.stat().st_mode & 0o777 == 0o600  # generated on first use, owner only
    first_key = key_file.read_text().strip()
    secret, sealed = _secret(tenant), _sealed(tenant)

    rotated = stride_cli("keys", "rotate-master", "--json")
    assert rotated == {"tenants": 1, "key_file": str(key_file)}
    new_key = key_file.read_text().strip()
    assert new_key != first_key and "\n" not in new_key
    forget_cached_keys()
    assert _sealed(tenant) != sealed and _secret(tenant) == secret
    Fernet(new_key).decrypt(_sealed(tenant).encode())  # sealed with the new key alone


def test_rotating_keys_from_the_environment(
    stride_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Fernet.generate_key().decode()
    monkeypatch.setenv("STRIDE_SECRET_KEY", old)
    get_settings.cache_clear()
    tenant = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    secret = _secret(tenant)
    # With one key there is nothing to rotate to: say how.
    refused = stride_cli("keys", "rotate-master", "--json", expect_exit=1)
    assert "new,old" in refused["detail"]

    new = stride_cli("keys", "generate-master", "--json")["master_key"]
    monkeypatch.setenv("STRIDE_SECRET_KEY", f"{new},{old}")
    get_settings.cache_clear()
    forget_cached_keys()
    assert stride_cli("keys", "rotate-master", "--json") == {"tenants": 1, "key_file": None}
    monkeypatch.setenv("STRIDE_SECRET_KEY", new)  # the old key can go now
    get_settings.cache_clear()
    forget_cached_keys()
    assert _secret(tenant) == secret


def test_a_wrong_master_key_is_a_clear_error(
    stride_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    monkeypatch.setenv("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    forget_cached_keys()
    failed = stride_cli(
        "privacy", "consent", "show", "ana", "--tenant", tenant, "--json", expect_exit=1
    )
    assert failed["error"] == "configuration_error"
    assert "STRIDE_SECRET_KEY" in failed["detail"]


def test_postgres_without_a_master_key_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    from stride.errors import ConfigurationError
    from stride.privacy.secrets import master_keys

    monkeypatch.setenv("STRIDE_SECRET_KEY", "")
    monkeypatch.setenv("STRIDE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1/none")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="STRIDE_SECRET_KEY"):
            master_keys()
    finally:
        get_settings.cache_clear()
