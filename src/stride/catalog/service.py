"""Apply a tenant's catalog: validate it whole, store it, refold mastery if its rules changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from stride.catalog.document import catalog_document
from stride.catalog.engagement import streak_rules
from stride.catalog.validation import parse_catalog
from stride.errors import NotFound
from stride.ingest.rebuild import refold_mastery
from stride.ingest.streak_freezes import freezes_per_month, refold_streaks
from stride.store.catalogs import catalog_document_of, save_catalog
from stride.store.transactions import write_transaction
from stride.tenancy.audit import audit, operator_principal
from stride.tenancy.service import Principal


@dataclass(frozen=True)
class AppliedCatalog:
    version: int
    applied_at: datetime
    activities: int
    skills: int
    dimensions: int
    mastery_refolded: bool  # the mapping or mastery rules changed, so mastery was refolded
    events_refolded: int
    document: dict[str, Any]


def apply_catalog(
    engine: Engine,
    tenant_id: str,
    document: object,
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
    actor: Principal | None = None,
) -> AppliedCatalog:
    """Raises InvalidInput listing every problem; then nothing is applied.

    The change is audited under `actor` (the CLI operator when None).
    """
    catalog = parse_catalog(document)
    with write_transaction(engine) as connection:
        freezes_before = freezes_per_month(connection, tenant_id)
        version, previous = save_catalog(connection, tenant_id, catalog, now)
        # Frozen streaks depend on the allowance: a new one refolds every learner's streak.
        freezes = streak_rules(catalog).freezes_per_month
        if freezes != freezes_before:
            refold_streaks(connection, tenant_id, freezes)
        refold = previous != catalog.mastery_fingerprint()
        refolded = refold_mastery(connection, tenant_id, on_progress) if refold else 0
        audit(
            connection,
            actor or operator_principal(connection, tenant_id),
            "catalog.apply",
            "catalog",
            now=now,
            detail={"version": version, "mastery_refolded": refold},
        )
    return AppliedCatalog(
        version=version,
        applied_at=now,
        activities=len(catalog.activities),
        skills=len(catalog.skills),
        dimensions=len(catalog.dimensions),
        mastery_refolded=refold,
        events_refolded=refolded,
        document=catalog_document(catalog),
    )


def get_catalog_document(engine: Engine, tenant_id: str) -> tuple[int, datetime, dict[str, Any]]:
    """The tenant's catalog as (version, applied_at, normalized document)."""
    with engine.connect() as connection:
        stored = catalog_document_of(connection, tenant_id)
    if stored is None:
        raise NotFound("This tenant has no catalog yet; apply one with PUT /v1/catalog.")
    return stored
