"""Statements encrypted with a key of their tenant.

The key is derived (HKDF-SHA256) from the tenant's learner secret, which is itself sealed at
rest with the master key (stride.privacy.secrets). So a statement opens only with that
tenant's secret, and never from a database copied without the master key.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"stride xapi statements v1"


@lru_cache(maxsize=256)
def tenant_box(tenant_secret: str, info: bytes = _INFO) -> Fernet:
    """A key of the tenant for one use, named by `info` (cached: deriving it costs more than
    sealing a statement)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        bytes.fromhex(tenant_secret)
    )
    return Fernet(base64.urlsafe_b64encode(material))


def statement_box(tenant_secret: str) -> Fernet:
    """The tenant's statement key."""
    return tenant_box(tenant_secret, _INFO)


def seal_statement(tenant_secret: str, document: bytes) -> str:
    return statement_box(tenant_secret).encrypt(document).decode()


def open_statement(tenant_secret: str, token: str) -> bytes:
    return statement_box(tenant_secret).decrypt(token.encode())
