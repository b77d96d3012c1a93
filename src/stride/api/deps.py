"""FastAPI dependencies: settings, the engine, the caller and their permissions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from stride.config import Settings
from stride.errors import PermissionDenied, Unauthenticated
from stride.observability.metrics import Metrics
from stride.privacy.pseudonym import learner_key
from stride.tenancy.roles import PERMISSIONS
from stride.tenancy.service import Principal, authenticate


# Dependencies without I/O are async so FastAPI does not hop to a worker thread for them.
async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def get_principal(request: Request, engine: EngineDep) -> Principal:
    """The caller behind `Authorization: Bearer <key>`; 401 when missing or unknown."""
    scheme, _, api_key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not api_key.strip():
        raise Unauthenticated("Send an API key as `Authorization: Bearer <key>`.")
    with engine.connect() as connection:
        return authenticate(connection, api_key.strip())


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only roles holding `permission` (403 otherwise)."""
    allowed = PERMISSIONS[permission]

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise PermissionDenied(
                f"A key with role {principal.role.value!r} may not do this; "
                f"it needs one of: {', '.join(sorted(r.value for r in allowed))}."
            )
        return principal

    return check


def learner_key_for(principal: Principal, learner_id: str) -> str:
    """URLs carry the platform's learner id; Stride looks the learner up by its keyed hash."""
    return learner_key(principal.learner_secret, learner_id)
