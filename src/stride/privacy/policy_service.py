"""Reading and applying a tenant's privacy policy."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from stride.privacy.policy import DEFAULT_POLICY, PrivacyPolicy, parse_policy
from stride.store.privacy import load_policy_document, save_policy_document
from stride.tenancy.audit import audit
from stride.tenancy.service import Principal

# Parsing a policy compiles its PII rules; ingest asks for it on every batch.
_parsed: dict[str, tuple[dict[str, Any], PrivacyPolicy]] = {}
_parsed_lock = threading.Lock()


def get_policy(connection: Connection, tenant_id: str) -> PrivacyPolicy:
    """The tenant's policy, or the defaults when it never set one."""
    document = load_policy_document(connection, tenant_id)
    if document is None:
        return DEFAULT_POLICY
    with _parsed_lock:
        cached = _parsed.get(tenant_id)
        if cached is not None and cached[0] == document:
            return cached[1]
    policy = parse_policy(document)
    with _parsed_lock:
        _parsed[tenant_id] = (document, policy)
    return policy


def apply_policy(
    connection: Connection, principal: Principal, raw: Any, now: datetime
) -> PrivacyPolicy:
    """Validate and store a policy document (all or nothing), audited."""
    policy = parse_policy(raw)
    document = policy.document.model_dump(mode="json")
    save_policy_document(connection, principal.tenant_id, document, now)
    audit(connection, principal, "policy.update", "privacy/policy", now=now, detail=document)
    return policy
