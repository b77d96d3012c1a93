from __future__ import annotations

from collections.abc import Callable

import yaml
from fastapi.testclient import TestClient

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.fixtures.tenant import TenantUnderTest


def test_put_then_get_catalog(client: TestClient, tenant: TenantUnderTest) -> None:
    headers = bearer(tenant.admin_key)
    assert client.get("/v1/catalog", headers=headers).status_code == 404

    applied = client.put("/v1/catalog", json=small_catalog(), headers=headers)
    assert applied.status_code == 200, applied.text
    assert applied.json()["version"] == 1
    assert applied.json()["activities"] == 8
    assert applied.json()["skills"] == 3

    stored = client.get("/v1/catalog", headers=headers).json()
    assert stored["version"] == 1
    activities = {a["id"]: a for a in stored["catalog"]["activities"]}
    assert activities["prog/c1/m1/ex2"]["weight"] == 3
    assert activities["prog/c1/m1/ex1"]["required"] is True  # defaults are filled in


def test_yaml_body_is_accepted(client: TestClient, tenant: TenantUnderTest) -> None:
    body = yaml.safe_dump(small_catalog())
    response = client.put(
        "/v1/catalog",
        content=body,
        headers={**bearer(tenant.admin_key), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.text


def test_invalid_catalog_lists_every_problem_and_applies_nothing(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    headers = bearer(tenant.admin_key)
    client.put("/v1/catalog", json=small_catalog(), headers=headers)
    broken = small_catalog()
    broken["activities"][3]["parent"] = "nowhere"
    broken["activities"][4]["skills"] = ["juggling"]
    broken["activities"].append(dict(broken["activities"][0]))  # duplicate id

    response = client.put("/v1/catalog", json=broken, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    paths = {error["path"] for error in response.json()["errors"]}
    assert {"activities[3].parent", "activities[4].skills[0]", "activities[8].id"} <= paths
    assert client.get("/v1/catalog", headers=headers).json()["version"] == 1


def test_only_admins_apply_and_bodies_must_be_json_or_yaml(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    analyst = key_factory(tenant.tenant_id, Role.ANALYST)
    response = client.put("/v1/catalog", json=small_catalog(), headers=bearer(analyst))
    assert response.status_code == 403
    response = client.put(
        "/v1/catalog",
        content=b"<catalog/>",
        headers={**bearer(tenant.admin_key), "Content-Type": "application/xml"},
    )
    assert response.status_code == 415
    response = client.put(
        "/v1/catalog",
        content=b"activities: [",
        headers={**bearer(tenant.admin_key), "Content-Type": "application/yaml"},
    )
    assert response.status_code == 422


def test_catalogs_are_per_tenant(
    client: TestClient, tenant: TenantUnderTest, tenant_factory: Callable[[], TenantUnderTest]
) -> None:
    client.put("/v1/catalog", json=small_catalog(), headers=bearer(tenant.admin_key))
    other = tenant_factory()
    assert client.get("/v1/catalog", headers=bearer(other.admin_key)).status_code == 404
