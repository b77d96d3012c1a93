"""Schemathesis walks every operation of the OpenAPI document: nothing may answer 500, and
every response matches the schema the document gives for it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import response_schema_conformance
from sqlalchemy import Engine

from stride.api.app import create_app
from stride.config import Settings
from tests.fixtures.tenant import make_tenant


def _operations(app: Any) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


# Live streams never end, so no generated request could finish; tests/api/test_stream.py
# covers their parameters and refusals.
STREAMS = {"GET /v1/stream", "GET /v1/learners/{learner_id}/stream"}
# Listing the operations needs only the document, not a database.
OPERATIONS = sorted(set(_operations(create_app(Settings(DATABASE_URL="sqlite://")))) - STREAMS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_operation_answers_500_or_off_schema(label: str, sqlite_engine: Engine) -> None:
    app = create_app(Settings(DATABASE_URL=str(sqlite_engine.url)), engine=sqlite_engine)
    operation = _operations(app)[label]
    headers = {"Authorization": f"Bearer {make_tenant(sqlite_engine).admin_key}"}

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
        case.validate_response(response, checks=[response_schema_conformance])

    check()
