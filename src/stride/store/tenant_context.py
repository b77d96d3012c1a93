"""The tenant the current request or job acts for, handed to PostgreSQL Row-Level Security.

`stride.api.deps.require` sets it once the caller is authenticated; the engine's "begin"
listener (store/database.py) copies it into the transaction-local setting `stride.tenant_id`
that the policies of migration 0004 compare with. Unset means operator mode: the CLI,
migrations, authentication and the audit writer see every tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

current_tenant: ContextVar[str | None] = ContextVar("stride_current_tenant", default=None)


@contextmanager
def tenant_context(tenant_id: str | None) -> Iterator[None]:
    """Act for `tenant_id` (None: operator mode) inside the block, for code outside HTTP."""
    token = current_tenant.set(tenant_id)
    try:
        yield
    finally:
        current_tenant.reset(token)
