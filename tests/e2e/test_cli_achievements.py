from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.catalogs import small_catalog

Cli = Callable[..., Any]


def test_list_shows_defaults_until_switched_off(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    listed = stride_cli("achievements", "list", "--tenant", tenant, "--json")["achievements"]
    assert [a["id"] for a in listed] == [
        "one-week-streak",
        "skill-builder-1",
        "first-module-completed",
        "first-perfect-score",
    ]
    assert listed[0]["criteria"] == "streak.current >= 7" and listed[0]["default"] is True

    catalog = small_catalog()
    catalog["achievements"] = [
        {"id": "one-week-streak", "enabled": False},
        {"id": "m1", "name": "M1", "criteria": {"all": ["module:prog/c1/m1.completion >= 1"]}},
    ]
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog))
    stride_cli("catalog", "apply", str(path), "--tenant", tenant, "--json")
    listed = stride_cli("achievements", "list", "--tenant", tenant, "--json")["achievements"]
    assert {a["id"]: a["enabled"] for a in listed}["one-week-streak"] is False
    assert listed[-1]["id"] == "m1" and listed[-1]["default"] is False
    text = stride_cli("achievements", "list", "--tenant", tenant)
    assert "Streak" in text.stdout and "M1" in text.stdout

    assert "nope" in stride_cli("achievements", "list", "--tenant", "nope", expect_exit=1).output
