"""Re-exports the fixtures of tests/fixtures/."""

import os

from cryptography.fernet import Fernet

# One master key for the whole run (and the CLI processes it starts), so no test writes a
# key file into the working directory.
os.environ.setdefault("STRIDE_SECRET_KEY", Fernet.generate_key().decode())
# No background retention in apps built by tests (tests that want it set it themselves).
os.environ.setdefault("STRIDE_RETENTION_INTERVAL_HOURS", "0")
# No webhook dispatcher either: nothing registered by a test may be called by surprise.
os.environ.setdefault("STRIDE_WEBHOOK_POLL_SECONDS", "0")
# Nor a background analytics round: analytics reads catch their tenant up themselves.
os.environ.setdefault("STRIDE_ANALYTICS_INTERVAL_SECONDS", "0")
# Apps made by tests prepare batches in their own process (a helper each would cost a process
# start per app); tests/api/test_ingest_helpers.py runs servers with helpers.
os.environ.setdefault("STRIDE_INGEST_HELPERS", "0")
# Scheduled reports run only when a test ticks the runner itself.
os.environ.setdefault("STRIDE_REPORT_TICK_SECONDS", "0")

from tests.fixtures.api import client
from tests.fixtures.cli import stride_cli
from tests.fixtures.database import (
    app_role_engine,
    engine,
    postgres_engine,
    pytest_report_header,
    sqlite_engine,
)
from tests.fixtures.tenant import key_factory, tenant, tenant_factory

__all__ = [
    "app_role_engine",
    "client",
    "engine",
    "key_factory",
    "postgres_engine",
    "pytest_report_header",
    "sqlite_engine",
    "stride_cli",
    "tenant",
    "tenant_factory",
]
