"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from stride.api.deps import EngineDep, MetricsDep
from stride.api.responses import JSONBody
from stride.store.database import is_reachable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers")
async def readyz(engine: EngineDep) -> Response:
    if await run_in_threadpool(is_reachable, engine):
        return JSONBody({"status": "ready"})
    return JSONBody({"status": "unavailable", "reason": "database unreachable"}, status_code=503)


@router.get("/metrics", summary="Prometheus metrics")
def metrics(app_metrics: MetricsDep) -> Response:
    return Response(generate_latest(app_metrics.registry), media_type=CONTENT_TYPE_LATEST)
