"""`stride credentials verify` works offline against the database; `list` shows a tenant's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from stride.api.app import create_app
from stride.bootstrap import open_engine
from stride.config import get_settings
from tests.api.helpers import bearer
from tests.api.test_certificates import CERTIFICATION, _attempt
from tests.catalogs import small_catalog

Cli = Callable[..., Any]


def test_verify_a_file_or_a_code_and_list(stride_cli: Cli, tmp_path: Path) -> None:
    created = stride_cli("tenants", "create", "acme", "--json")
    engine = open_engine()
    app = create_app(get_settings(), engine=engine)
    headers = bearer(created["api_key"])
    with TestClient(app) as client:
        catalog = {**small_catalog(), "certifications": [CERTIFICATION]}
        assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
        sent = [_attempt("prog/c1/m1/ex1", 9 - n) for n in range(3)]
        sent.append(_attempt("prog/c1/m1/ex2", 1))
        client.post("/v1/events", json=sent, headers=headers)
        issued = client.post("/v1/learners/ines/certifications/prog", headers=headers).json()
    token_file = tmp_path / "credential.jwt"
    token_file.write_text(issued["jwt"] + "\n")

    verified = stride_cli("credentials", "verify", str(token_file), "--json")
    assert verified["result"] == "valid"
    assert verified["credential"] == issued["credential"]
    by_code = stride_cli("credentials", "verify", "--code", issued["verification_code"], "--json")
    assert by_code["result"] == "valid"
    header, payload, _ = issued["jwt"].split(".")
    token_file.write_text(f"{header}.{payload}.{'A' * 86}")
    broken = stride_cli("credentials", "verify", str(token_file), expect_exit=1)
    assert "invalid_signature" in broken.output

    listed = stride_cli("credentials", "list", "--tenant", created["tenant_id"], "--json")
    assert [c["credential_id"] for c in listed["credentials"]] == [issued["credential_id"]]
    stride_cli("credentials", "list", "--tenant", "nobody", expect_exit=1)

    rotated = stride_cli("credentials", "rotate-key", "--tenant", created["tenant_id"], "--json")
    assert len(rotated["retired"]) == 1 and rotated["kid"] not in rotated["retired"]
    token_file.write_text(issued["jwt"])
    assert stride_cli("credentials", "verify", str(token_file), "--json")["result"] == "valid"
    stride_cli("credentials", "rotate-key", "--tenant", "nobody", expect_exit=1)
