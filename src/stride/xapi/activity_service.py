"""GET /xapi/activities: an Activity's definition, from the stored statements naming it."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine

from stride.ingest.pipeline import TenantScope
from stride.store import xapi as statements
from stride.xapi.activities import activity_of
from stride.xapi.identifiers import iri_key
from stride.xapi.sealing import open_statement

# The newest statements whose object is the activity that are read to build its definition:
# enough to collect what tools send (they repeat the definition), bounded for popular ones.
DEFINITION_STATEMENTS = 100


def describe_activity(
    engine: Engine, scope: TenantScope, activity_id: str, limit: int = DEFINITION_STATEMENTS
) -> dict[str, Any]:
    """The Activity object with the richest definition of the newest `limit` statements
    (voided ones left out) whose object it is; just its id when none defines it."""
    where = statements.StatementFilter(activity_key=iri_key(activity_id))
    with engine.connect() as connection:
        rows = statements.query_statements(connection, scope.tenant_id, where, limit)
    documents = [orjson.loads(open_statement(scope.learner_secret, row.sealed)) for row in rows]
    return activity_of(activity_id, reversed(documents))  # oldest first: newer ones win
