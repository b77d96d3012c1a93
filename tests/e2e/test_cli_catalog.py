from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.catalogs import small_catalog

Cli = Callable[..., Any]


def test_apply_show_and_refuse_an_invalid_catalog(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(small_catalog()))

    applied = stride_cli("catalog", "apply", str(path), "--tenant", tenant, "--json")
    assert applied["version"] == 1 and applied["activities"] == 8

    shown = stride_cli("catalog", "show", "--tenant", tenant)
    assert json.loads(shown.stdout)["activities"][0]["id"] == "prog"
    as_yaml = stride_cli("catalog", "show", "--tenant", tenant, "--yaml")
    assert yaml.safe_load(as_yaml.stdout)["skills"][1]["weight"] == 2

    broken = small_catalog()
    broken["skills"][0]["dimension"] = "nowhere"
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(broken))
    refused = stride_cli("catalog", "apply", str(bad), "--tenant", tenant, expect_exit=1)
    assert "skills[0].dimension" in refused.output
    assert stride_cli("catalog", "apply", str(path), "--tenant", tenant, "--json")["version"] == 2

    missing = stride_cli(
        "catalog", "apply", str(tmp_path / "no.yaml"), "--tenant", tenant, expect_exit=1
    )
    assert "No file" in missing.output
    unknown = stride_cli("catalog", "apply", str(path), "--tenant", "nope", expect_exit=1)
    assert "stride tenants list" in unknown.output


def test_fit_mastery_on_the_demo_tenant(stride_cli: Cli) -> None:
    demo = stride_cli("demo", "--learners", "40", "--days", "30", "--seed", "5", "--json")
    fitted = stride_cli(
        "fit", "mastery", "--tenant", demo["tenant_id"], "--restarts", "2", "--json"
    )
    assert fitted["attempts"] > 0 and fitted["events_refolded"] >= demo["events"]
    assert fitted["fitted"], "the demo's busiest skills have enough attempts to fit"
    for params in fitted["fitted"].values():
        assert 0 < params["learn"] <= 0.5 and params["guess"] <= 0.5 and params["slip"] <= 0.5
