"""GET /v1/analytics/data-quality: figures, roles and parameters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from stride.tenancy.roles import Role
from tests.api.helpers import bearer
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest

URL = "/v1/analytics/data-quality"


def test_an_analyst_reads_the_figures_of_what_was_sent(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    now = datetime.now(UTC)
    hour_ago = (now - timedelta(hours=1)).isoformat()
    first = make_event(timestamp=hour_ago)
    sent = [first, first, make_event(timestamp=hour_ago), make_event(result={"score": 7})]
    posted = client.post("/v1/events", json=sent, headers=bearer(tenant.admin_key))
    assert posted.status_code == 200, posted.text
    analyst = bearer(key_factory(tenant.tenant_id, Role.ANALYST))
    response = client.get(URL, params={"period": "week"}, headers=analyst)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "week" and body["to"] == now.date().isoformat()
    assert len(body["periods"]) == 12 and "from" in body
    totals = body["totals"]
    assert (totals["accepted"], totals["duplicate"], totals["rejected"]) == (2, 1, 1)
    assert totals["rejected_by_reason"]["invalid"] == 1
    assert totals["lateness"]["bands"]["under_1_day"] == 2
    assert body["invalid_fields"][0]["path"] == "result.score"
    assert body["volume"]["threshold"] == 3.5 and body["volume"]["anomalies"] == []
    assert body["periods"][-1]["complete"] is False


def test_an_ingest_key_may_not_read_it(
    client: TestClient, tenant: TenantUnderTest, key_factory: Callable[[str, Role], str]
) -> None:
    ingest = bearer(key_factory(tenant.tenant_id, Role.INGEST))
    assert client.get(URL, headers=ingest).status_code == 403
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2024-03-02", "to": "2024-03-01"}, "from"),
        ({"from": "2023-01-01", "to": "2024-03-01"}, "from"),
        ({"to": "0001-01-01"}, "to"),
        ({"threshold": "0"}, "threshold"),
        ({"threshold": "nan"}, "threshold"),
        ({"history_weeks": "3"}, "history_weeks"),
    ],
)
def test_bad_parameters_give_422_with_the_field(
    client: TestClient, tenant: TenantUnderTest, params: dict[str, str], field: str
) -> None:
    response = client.get(URL, params=params, headers=bearer(tenant.admin_key))
    assert response.status_code == 422, response.text
    assert field in response.text
