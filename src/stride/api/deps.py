"""FastAPI dependencies: settings, the engine, the caller and their permissions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from stride.clock import utc_now
from stride.config import Settings
from stride.errors import PermissionDenied, Unauthenticated
from stride.observability.metrics import Metrics
from stride.privacy.pseudonym import learner_key
from stride.store.aliases import canonical_key
from stride.store.tenant_context import current_tenant
from stride.tenancy.audit import ReadAuditBuffer
from stride.tenancy.roles import PERMISSIONS, STAFF
from stride.tenancy.service import Principal, authenticate
from stride.tenancy.tokens import authenticate_token, looks_like_token


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
    """The caller behind `Authorization: Bearer <key or learner token>`; 401 when missing
    or unknown."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("Send an API key as `Authorization: Bearer <key>`.")
    with engine.connect() as connection:
        if looks_like_token(credential):
            principal = authenticate_token(connection, credential, utc_now())
        else:
            principal = authenticate(connection, credential)
    return with_alias_lookup(principal, engine)


def with_alias_lookup(principal: Principal, engine: Engine) -> Principal:
    """The principal, resolving learner aliases through `engine` (see learner_key_for); each
    key once per request, however many times the request's dependencies ask."""
    resolved: dict[str, str] = {}

    def resolve(key: str) -> str:
        if key not in resolved:
            with engine.connect() as connection:
                resolved[key] = canonical_key(connection, principal.tenant_id, key)
        return resolved[key]

    return replace(principal, resolve_learner=resolve)


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only roles holding `permission` (403 otherwise)."""
    allowed = PERMISSIONS[permission]

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise PermissionDenied(
                f"A key with role {principal.role.value!r} may not do this; "
                f"it needs one of: {', '.join(sorted(r.value for r in allowed))}."
            )
        # Set in the request's task, so the sync endpoint's thread (a copied context) sees it;
        # every transaction of the request then runs under Row-Level Security for this tenant.
        current_tenant.set(principal.tenant_id)
        return principal

    return check


def learner_key_for(principal: Principal, learner_id: str) -> str:
    """URLs carry the platform's learner id; Stride looks the learner up by its keyed hash,
    or, for an alias (another platform id of the learner), by the learner's.

    A learner token opens its own learner only (under any of its ids).
    """
    key = learner_key(principal.learner_secret, learner_id)
    resolve = principal.resolve_learner
    if resolve is not None:
        key = resolve(key)
    own = principal.learner_key
    if own is not None and key != own and (resolve is None or key != resolve(own)):
        raise PermissionDenied("This learner token may read only its own learner's data.")
    return key


def audited_learner_read(permission: str) -> Callable[..., Awaitable[Principal]]:
    """`require(permission)`, and an audit entry when staff read a learner's data."""
    check = require(permission)

    # A default rather than Annotated: the annotation must resolve without this closure.
    async def audited(request: Request, principal: Principal = Depends(check)) -> Principal:
        learner_id = request.path_params.get("learner_id")
        if learner_id is not None and principal.role in STAFF:
            buffer: ReadAuditBuffer = request.app.state.read_audit
            route = request.scope.get("route")
            resource = getattr(route, "path", request.url.path)
            key = learner_key_for(principal, learner_id)
            buffer.record(principal, "learner.read", resource, key)
        return principal

    return audited


LearnerReader = Annotated[Principal, Depends(audited_learner_read("learners:read"))]
LearnerWriter = Annotated[Principal, Depends(require("learners:write"))]
