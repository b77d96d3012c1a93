"""Pseudonymous learner keys: a keyed hash of the platform's learner id."""

from __future__ import annotations

import hashlib
import hmac
import secrets

LEARNER_KEY_LENGTH = 32  # hex characters: 128 bits of the HMAC, ample against collisions


def new_tenant_secret() -> str:
    return secrets.token_hex(32)


def learner_key(tenant_secret: str, learner_id: str) -> str:
    """Return the key under which Stride stores a learner; the raw id is never kept."""
    digest = hmac.new(bytes.fromhex(tenant_secret), learner_id.encode(), hashlib.sha256)
    return digest.hexdigest()[:LEARNER_KEY_LENGTH]
