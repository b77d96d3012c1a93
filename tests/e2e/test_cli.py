from __future__ import annotations

from collections.abc import Callable
from typing import Any

Cli = Callable[..., Any]


def test_tenant_and_key_lifecycle(stride_cli: Cli) -> None:
    created = stride_cli("tenants", "create", "acme", "--json")
    assert set(created) >= {"tenant_id", "api_key", "key_id"}
    assert created["api_key"].startswith("sk_")

    key = stride_cli(
        "keys", "create", "--tenant", created["tenant_id"], "--role", "ingest", "--json"
    )
    assert key["role"] == "ingest" and key["tenant_id"] == created["tenant_id"]

    listed = stride_cli("keys", "list", "--tenant", created["tenant_id"], "--json")["keys"]
    assert {k["role"] for k in listed} == {"admin", "ingest"}
    assert all("api_key" not in k for k in listed)

    revoked = stride_cli("keys", "revoke", key["key_id"], "--json")
    assert revoked["revoked_at"] is not None

    tenants = stride_cli("tenants", "list", "--json")["tenants"]
    assert [t["name"] for t in tenants] == ["acme"]


def test_errors_are_one_clear_line_and_non_zero(stride_cli: Cli) -> None:
    stride_cli("tenants", "create", "acme", "--json")
    duplicate = stride_cli("tenants", "create", "acme", expect_exit=1)
    assert "already exists" in duplicate.output
    unknown = stride_cli("keys", "create", "--tenant", "nope", "--role", "admin", expect_exit=1)
    assert "stride tenants list" in unknown.output
    as_json = stride_cli("keys", "revoke", "nope", "--json", expect_exit=1)
    assert as_json["error"] == "not_found"
    bad_role = stride_cli("keys", "create", "--tenant", "x", "--role", "boss", expect_exit=2)
    assert "boss" in bad_role.output


def test_demo_then_rebuild(stride_cli: Cli) -> None:
    demo = stride_cli("demo", "--learners", "12", "--days", "14", "--seed", "3", "--json")
    assert demo["events"] > 100 and demo["rejected"] == 0
    again = stride_cli("demo", "--learners", "12", "--days", "14", "--seed", "3", "--json")
    assert again["tenant_id"] == demo["tenant_id"]
    assert again["events"] == demo["events"]
    assert again["api_key"] != demo["api_key"]

    rebuilt = stride_cli("rebuild", "--json")
    [folded] = rebuilt["tenants"]
    # The log also holds the skill.acquired events Stride derived from the demo's attempts.
    assert folded["tenant_id"] == demo["tenant_id"] and folded["events"] > demo["events"]
    assert stride_cli("db", "upgrade", "--json") == {"status": "upgraded"}


def test_friendly_output_without_json(stride_cli: Cli) -> None:
    result = stride_cli("tenants", "create", "friendly")
    assert "Admin API key" in result.output


def test_friendly_output_keeps_the_key_on_one_line(stride_cli: Cli) -> None:
    result = stride_cli("demo", "--learners", "3", "--days", "3")
    key_line = next(line for line in result.output.splitlines() if line.startswith("API key"))
    curl_line = next(line for line in result.output.splitlines() if line.startswith("Try: curl"))
    assert key_line.split()[-1] in curl_line
    assert curl_line.endswith("/progress")
