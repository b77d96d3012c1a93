"""Derived `certificate.issued` / `certificate.revoked` events, appended to the log so webhooks
and live streams see them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from stride.events.validation import content_hash, utc_text
from stride.store import event_log

# Ids are a function of (tenant, credential, what happened): a retry appends nothing twice.
_NAMESPACE = uuid.UUID("0b7e5a3c-7d1f-4c55-8f0e-5d2b6c1a9e37")


def append_certificate_event(
    connection: Connection,
    *,
    tenant_id: str,
    learner_key: str,
    event_type: str,
    credential_id: str,
    program_id: str,
    at: datetime,
    properties: dict[str, Any] | None = None,
) -> None:
    """Append one derived event (`"derived": true`) for a credential in the caller's transaction."""
    event_id = str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/{credential_id}/{event_type}"))
    payload = {
        "id": event_id,
        "type": event_type,
        "timestamp": utc_text(at),
        "activity": {"id": program_id, "type": "program"},
        "properties": {"credential_id": credential_id, **(properties or {})},
        "derived": True,
    }
    event_log.append_events(
        connection,
        [
            {
                "tenant_id": tenant_id,
                "event_id": event_id,
                "learner_key": learner_key,
                "type": event_type,
                "event_time": at,
                "received_at": at,
                "content_hash": content_hash(learner_key, payload),
                "payload": payload,
            }
        ],
    )
