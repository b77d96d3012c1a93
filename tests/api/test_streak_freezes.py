"""Streak freezes as the progress API shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.helpers import bearer
from tests.catalogs import small_catalog
from tests.factories import make_event
from tests.fixtures.tenant import TenantUnderTest


def test_freezes_used_are_visible_and_follow_the_catalog(
    client: TestClient, tenant: TenantUnderTest
) -> None:
    headers = bearer(tenant.admin_key)
    catalog = {**small_catalog(), "streaks": {"freezes_per_month": 2}}
    assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    if today > datetime.now(UTC):
        today -= timedelta(days=1)
    sent = [
        make_event(learner="fay", timestamp=(today - timedelta(days=d)).isoformat())
        for d in (4, 2, 0)
    ]
    accepted = client.post("/v1/events", json=sent, headers=headers).json()["accepted"]
    assert accepted == 3
    progress = client.get("/v1/learners/fay/progress", headers=headers).json()
    streak = progress["streak"]
    assert progress["current_streak"] == 3 == streak["current"] and streak["longest"] == 3
    frozen = [(today - timedelta(days=d)).date() for d in (3, 1)]
    this_month = [d.isoformat() for d in frozen if d.month == today.month]
    assert streak["frozen_days"] == this_month and streak["freezes_used"] == len(this_month)
    assert streak["freezes_per_month"] == 2
    catalog["streaks"] = {"freezes_per_month": 0}
    assert client.put("/v1/catalog", json=catalog, headers=headers).status_code == 200
    plain = client.get("/v1/learners/fay/progress", headers=headers).json()
    assert plain["streak"]["longest"] == 1 and plain["streak"]["frozen_days"] == []
