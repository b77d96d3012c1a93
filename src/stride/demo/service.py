"""Create or refresh the demo tenant, filled through the same ingest pipeline as real traffic."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from stride.catalog import load_catalog_text
from stride.catalog.service import apply_catalog
from stride.demo.generator import demo_learner_ids, demo_learners, generate_demo_events
from stride.events.validation import ValidationLimits
from stride.ingest.pipeline import EventStatus, TenantScope, ingest_events
from stride.privacy.pseudonym import learner_key
from stride.store.learners import save_timezones
from stride.store.tenant_data import purge_tenant_activity
from stride.store.tenants import find_tenant_by_name, get_tenant
from stride.tenancy.roles import Role
from stride.tenancy.service import create_key, create_tenant

DEMO_TENANT = "demo"
# The demo curriculum as a catalog; examples/catalog.yaml points here.
DEMO_CATALOG = Path(__file__).with_name("catalog.yaml")
BATCH_SIZE = 500


@dataclass(frozen=True)
class DemoResult:
    tenant_id: str
    api_key: str
    learners: int
    events: int
    rejected: int
    sample_learner: str


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def prepare_demo_tenant(engine: Engine, now: datetime) -> tuple[TenantScope, str]:
    """Create the demo tenant, or empty the existing one; return its scope and a new admin key."""
    with engine.begin() as connection:
        existing = find_tenant_by_name(connection, DEMO_TENANT)
        if existing is None:
            created = create_tenant(connection, DEMO_TENANT, now)
            tenant_id, api_key = created.tenant_id, created.api_key
        else:
            purge_tenant_activity(connection, existing.id)
            tenant_id = existing.id
            api_key = create_key(connection, tenant_id, Role.ADMIN, now).api_key
        tenant = get_tenant(connection, tenant_id)
    assert tenant is not None
    return TenantScope(tenant.id, tenant.learner_secret), api_key


def run_demo(
    engine: Engine,
    now: datetime,
    seed: int,
    learners: int,
    days: int,
    on_batch: Callable[[int], None] | None = None,
) -> DemoResult:
    """Fill the demo tenant with `days` of synthetic activity of `learners` learners."""
    scope, api_key = prepare_demo_tenant(engine, now)
    # The catalog first, so attempts fold into mastery as they arrive.
    catalog = load_catalog_text(DEMO_CATALOG.read_bytes(), filename=DEMO_CATALOG.name)
    apply_catalog(engine, scope.tenant_id, catalog, now)
    with engine.begin() as connection:
        # Learners live around the world: their days and streaks are counted in their own zone.
        timezones = {
            learner_key(scope.learner_secret, learner.id): learner.timezone
            for learner in demo_learners(seed, learners, days)
        }
        save_timezones(connection, scope.tenant_id, timezones, now)
    limits = ValidationLimits(now, timedelta(hours=24))
    accepted = rejected = 0
    events = generate_demo_events(seed=seed, learners=learners, days=days, end=now)
    for batch in _batches(events, BATCH_SIZE):
        report = ingest_events(engine, scope, batch, limits, now)
        accepted += report.count(EventStatus.ACCEPTED)
        rejected += report.count(EventStatus.REJECTED)
        if on_batch is not None:
            on_batch(len(batch))
    return DemoResult(
        scope.tenant_id, api_key, learners, accepted, rejected, demo_learner_ids(learners)[0]
    )
