"""Settings for Stride, read from STRIDE_* environment variables."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_ORIGIN = re.compile(r"https?://[^/?#\s]+")


class Settings(BaseSettings):
    """Everything an operator can tune, with safe defaults for the embedded store."""

    model_config = SettingsConfigDict(env_prefix="STRIDE_", extra="ignore")

    DATABASE_URL: str = "sqlite:///./stride.db"
    # How far in the future an event timestamp may lie (clock skew of client devices).
    MAX_FUTURE_SKEW_HOURS: float = Field(default=24.0, ge=0)
    MAX_BATCH_EVENTS: int = Field(default=1000, ge=1)
    MAX_BODY_BYTES: int = Field(default=5 * 1024 * 1024, ge=1024)
    DB_POOL_SIZE: int = Field(default=8, ge=1)
    LOG_LEVEL: str = "INFO"
    # Bodies on every other route; ingest and catalog take up to MAX_BODY_BYTES.
    MAX_REQUEST_BYTES: int = Field(default=1024 * 1024, ge=1024)
    # A token bucket per API key id (per client IP without one); 0 turns rate limiting off.
    RATE_LIMIT_PER_SECOND: float = Field(default=100.0, ge=0)
    RATE_LIMIT_BURST: int = Field(default=200, ge=1)
    # Strict because Stride answers JSON; a dashboard served later would need a looser one.
    CONTENT_SECURITY_POLICY: str = "default-src 'none'; frame-ancestors 'none'"
    # 0 by default: the embedded server speaks plain HTTP; set it only behind TLS.
    HSTS_SECONDS: int = Field(default=0, ge=0)
    # Where clients reach the API (https://stride.example.org): the issuer, status list and
    # achievement URLs inside certificates. Unset, each request's own address is used.
    PUBLIC_URL: str | None = None
    # Browser origins allowed to call the API; empty sends no CORS headers at all.
    CORS_ORIGINS: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("CORS_ORIGINS", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # NoDecode hands the env value over raw, so `https://a.example,https://b.example` works;
        # a JSON list (pydantic-settings' usual form) is accepted too.
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        # Browsers send `Origin` without a trailing slash; a path would never match.
        checked = [origin.rstrip("/") for origin in origins]
        for origin in checked:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return checked

    # Master key(s) sealing tenant secrets: Fernet keys, comma-separated, newest first (older
    # ones still open what they sealed, for rotation). Unset on SQLite: generated into
    # SECRET_KEY_FILE with a warning. Unset on PostgreSQL: Stride refuses to start.
    SECRET_KEY: str = ""
    SECRET_KEY_FILE: str = "stride.key"
    # Where retention writes archived events (<dir>/<tenant id>/*.parquet); the operator's
    # choice only, never a tenant's. The in-process retention job runs every so many hours
    # (0: never; run `stride retention run` from cron instead), first after a short delay.
    ARCHIVE_DIR: str = "archive"
    RETENTION_INTERVAL_HOURS: float = Field(default=24.0, ge=0)
    RETENTION_FIRST_RUN_SECONDS: float = Field(default=60.0, ge=0)
    # Webhooks (docs/webhooks.md). The in-process dispatcher polls the log this often (0: not
    # in the server; run `stride webhooks dispatch` instead).
    WEBHOOK_POLL_SECONDS: float = Field(default=1.0, ge=0)
    # How often each server process folds new events into the engagement and usage rollups
    # (analytics reads also catch their tenant up first); 0 turns the background round off.
    ANALYTICS_INTERVAL_SECONDS: float = Field(default=2.0, ge=0)
    # How much lower than the server's the projection process's CPU priority is (Unix nice
    # increment): under load the cores go to answering requests first, and the rollups,
    # which readers catch up on anyway, to what is left. 0 keeps the server's priority.
    ANALYTICS_NICENESS: int = Field(default=10, ge=0, le=19)
    # On SQLite, about how long one page of the projection process may hold the write lock
    # (and so ingest off): longer pages fold the rollups faster, shorter ones keep ingest's
    # latency down while the rollups lag (analytics/page_sizer.py).
    ANALYTICS_PAGE_HOLD_SECONDS: float = Field(default=1.0, gt=0, le=30)
    # Helper processes that validate, pseudonymize and scrub incoming batches while the server
    # process stores others (stride.ingest.ahead). Unset: 1 on a machine with several cores
    # for a single server process; `stride serve --workers N` (N > 1) sets 0, its processes
    # using the cores already.
    INGEST_HELPERS: int | None = Field(default=None, ge=0, le=8)
    WEBHOOK_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    WEBHOOK_BACKOFF_BASE_SECONDS: float = Field(default=2.0, gt=0)
    WEBHOOK_BACKOFF_CAP_SECONDS: float = Field(default=3600.0, gt=0)
    WEBHOOK_MAX_ATTEMPTS: int = Field(default=10, ge=1)
    # Off by default: tenants could otherwise make Stride call its own network (SSRF).
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool = False
    WEBHOOK_DELIVERY_RETENTION_DAYS: float = Field(default=30.0, gt=0)
    # PostgreSQL only: how long an ingest transaction may take to commit before the dispatcher's
    # cursor passes its events (sequence numbers are taken before commit, so they commit out of
    # order); events in this window are re-examined each poll and enqueued exactly once.
    WEBHOOK_COMMIT_GRACE_SECONDS: float = Field(default=60.0, ge=0)
    # Custom reports (docs/reports.md): each server process looks for due scheduled reports
    # this often (0: not in the server). Directory delivery may write only under these roots
    # (comma-separated absolute paths; empty: directory delivery is refused).
    REPORT_TICK_SECONDS: float = Field(default=30.0, ge=0)
    REPORT_DIRECTORIES: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("REPORT_DIRECTORIES", mode="before")
    @classmethod
    def _split_directories(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [path.strip() for path in value.split(",") if path.strip()]
        return value

    # The held-out AUC a tenant's dropout-risk model must reach to be used (`stride fit risk`);
    # below it the model is stored as rejected and the at-risk list keeps to its rules.
    RISK_AUC_FLOOR: float = Field(default=0.7, ge=0.5, le=1.0)
    # Live streams (docs/streams.md): a `: heartbeat` comment this often on a quiet stream;
    # messages a subscriber may fall behind before it is dropped; how often each server
    # process looks at the log when nothing woke it; on PostgreSQL, how long a write may take
    # to commit before the feed's cursor passes its seq; what a resuming client is replayed.
    STREAM_HEARTBEAT_SECONDS: float = Field(default=15.0, gt=0)
    STREAM_QUEUE_SIZE: int = Field(default=1000, ge=2)
    STREAM_POLL_SECONDS: float = Field(default=0.25, gt=0)
    STREAM_COMMIT_GRACE_SECONDS: float = Field(default=5.0, ge=0)
    STREAM_REPLAY_MAX_MESSAGES: int = Field(default=1000, ge=1)
    STREAM_REPLAY_MAX_HOURS: float = Field(default=24.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
