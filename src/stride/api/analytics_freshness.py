"""Analytics reads see every event accepted before them: the tenant's rollups catch up first."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from stride.analytics.projection_job import catch_up
from stride.api.deps import require
from stride.tenancy.service import Principal


def caught_up(permission: str) -> Callable[..., Principal]:
    """`require(permission)`, then fold the tenant's events the background round has not
    reached yet (usually none: one index probe). A sync dependency: it runs in the thread
    pool, never on the event loop."""

    allowed = require(permission)

    # The dependency as a default value: an annotation naming the local `allowed` could not be
    # resolved from this module's globals.
    def dependency(request: Request, principal: Principal = Depends(allowed)) -> Principal:
        catch_up(request.app.state.engine, principal.tenant_id)
        return principal

    return dependency
