"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from sqlalchemy import Engine

import stride
from stride.analytics.projection_job import AnalyticsJob
from stride.api.problems import install_problem_handlers
from stride.api.routers import (
    achievements,
    aliases,
    analytics_engagement,
    analytics_learning,
    analytics_quality,
    analytics_risk,
    analytics_usage,
    catalog,
    certificates,
    consent,
    dashboard,
    events,
    exports,
    goals,
    health,
    leaderboards,
    learners,
    learning,
    privacy,
    report_definitions,
    reports,
    retention,
    rights,
    stream,
    xapi_documents,
)
from stride.api.routers import webhooks as webhook_routes
from stride.api.routers import xapi as xapi_routes
from stride.api.schemas.events import EventBatch
from stride.api.security import install_http_hardening
from stride.config import Settings, get_settings
from stride.events.schema import Event
from stride.ingest.ahead import AheadPool, server_helpers
from stride.ingest.pipeline import use_helpers
from stride.observability.metrics import LatencyMiddleware, Metrics
from stride.privacy.retention_job import RetentionJob
from stride.realtime.hub import StreamHub
from stride.reports.schedule_job import ReportJob
from stride.runtime import tune_gc, tune_thread_switching
from stride.store.database import create_db_engine
from stride.store.statistics import StatisticsJob
from stride.store.wal_checkpoint import WalCheckpointer
from stride.tenancy.audit import ReadAuditBuffer
from stride.webhooks.dispatcher import Dispatcher
from stride.xapi.alternate_syntax import AlternateSyntaxMiddleware


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; it owns (and disposes) the engine unless one is handed in."""
    settings = settings or get_settings()
    owns_engine = engine is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tune_gc()  # also in server processes that uvicorn spawns (`stride serve --workers N`)
        tune_thread_switching()
        helpers = server_helpers(settings.INGEST_HELPERS)
        app.state.ingest_helpers = AheadPool(helpers) if helpers else None
        use_helpers(app.state.engine, app.state.ingest_helpers)
        app.state.read_audit.start()
        app.state.retention_job.start()
        app.state.webhooks.start()
        app.state.analytics.start()
        await app.state.streams.start()
        app.state.reports.start()
        app.state.statistics.start()
        app.state.checkpointer.start()
        yield
        app.state.checkpointer.stop()
        app.state.statistics.stop()
        use_helpers(app.state.engine, None)
        if app.state.ingest_helpers is not None:
            app.state.ingest_helpers.close()
        await app.state.streams.stop()
        app.state.reports.stop()
        app.state.analytics.stop()
        app.state.webhooks.stop()
        app.state.retention_job.stop()
        app.state.read_audit.stop()
        if owns_engine:
            app.state.engine.dispose()

    app = FastAPI(
        title="Stride",
        version=stride.__version__,
        summary="Learning progress tracking and analytics",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.DATABASE_URL, settings.DB_POOL_SIZE)
    app.state.metrics = Metrics()
    app.state.read_audit = ReadAuditBuffer(app.state.engine)
    app.state.retention_job = RetentionJob.from_settings(app.state.engine, settings)
    # Delivers webhooks from the log after the fact: never in the ingest path.
    app.state.webhooks = Dispatcher.from_settings(app.state.engine, settings)
    # Folds the log into the engagement and usage rollups after the fact: never in ingest.
    app.state.analytics = AnalyticsJob.from_settings(app.state.engine, settings)
    # Follows the log and fans its changes out to this process's live streams.
    app.state.streams = StreamHub.from_settings(app.state.engine, settings)
    # Runs scheduled custom reports; a scheduled time runs once across processes.
    app.state.reports = ReportJob.from_settings(app.state.engine, settings)
    # Keeps PostgreSQL's planner statistics fresh where autovacuum has not yet (or never will).
    app.state.statistics = StatisticsJob(app.state.engine)
    # Copies SQLite's write-ahead log back into the file off the writer's path.
    app.state.checkpointer = WalCheckpointer(app.state.engine)
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(achievements.router)
    app.include_router(events.router)
    app.include_router(learners.router)
    app.include_router(aliases.router)
    app.include_router(learning.router)
    app.include_router(catalog.router)
    app.include_router(rights.router)
    app.include_router(consent.router)
    app.include_router(privacy.router)
    app.include_router(retention.router)
    app.include_router(certificates.router)
    app.include_router(webhook_routes.router)
    app.include_router(goals.router)
    app.include_router(leaderboards.router)
    app.include_router(analytics_engagement.router)
    app.include_router(analytics_learning.router)
    app.include_router(analytics_risk.router)
    app.include_router(analytics_usage.router)
    app.include_router(analytics_quality.router)
    app.include_router(xapi_routes.router)
    app.include_router(xapi_documents.router)
    app.include_router(exports.router)
    app.include_router(reports.router)
    app.include_router(report_definitions.router)
    app.include_router(dashboard.router)
    app.include_router(stream.router)
    app.add_middleware(AlternateSyntaxMiddleware, max_bytes=settings.MAX_REQUEST_BYTES)
    install_http_hardening(app, settings)
    # Added last so it runs first: latency and status counts include the 413s and 429s.
    app.add_middleware(LatencyMiddleware, metrics=app.state.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        # The ingest body is read raw (for size limits and per-event results); document its shape.
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (Event, EventBatch):
            model_schema = TypeAdapter(model).json_schema(
                ref_template="#/components/schemas/{model}"
            )
            components.update(model_schema.pop("$defs", {}))
            components[model.__name__] = model_schema
        app.openapi_schema = schema
    return app.openapi_schema
