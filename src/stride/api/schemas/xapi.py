"""OpenAPI documentation of the xAPI Statement Resource (bodies are read raw, as xAPI wants
400 rather than 422 for every invalid input)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class About(BaseModel):
    version: list[str] = Field(description="xAPI versions this LRS speaks")
    extensions: dict[str, Any] = Field(default_factory=dict)


def _query(name: str, description: str, fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_STATEMENT = {"type": "object", "description": "An xAPI statement"}
_HEADER_NOTE = " Send `X-Experience-API-Version: 1.0.3` (or 2.0.0)."

GET_DOC: dict[str, Any] = {
    "description": "One statement by statementId or voidedStatementId, or a page of "
    "statements (newest stored first) with `more` for the next page." + _HEADER_NOTE,
    "parameters": [
        _query("statementId", "The id of a statement (not voided)"),
        _query("voidedStatementId", "The id of a voided statement"),
        _query("agent", "An Agent or identified Group as JSON: its statements as actor"),
        _query("verb", "A verb IRI"),
        _query("activity", "An activity IRI: statements with it as object"),
        _query("registration", "A registration UUID"),
        _query("related_activities", "true is not supported yet; false"),
        _query("related_agents", "true is not supported yet; false"),
        _query("since", "Stored after this instant", "date-time"),
        _query("until", "Stored at or before this instant", "date-time"),
        _query("limit", "At most this many (0 or absent: 500)"),
        _query("format", "exact (default), ids or canonical"),
        _query("attachments", "true or false (Stride stores no attachment content)"),
        _query("ascending", "true: oldest stored first"),
    ],
    "responses": {
        "200": {
            "description": "A statement, or {statements, more}",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}

POST_DOC: dict[str, Any] = {
    "description": "Store one statement or an array of statements, all or nothing; each "
    "is also ingested as a Stride event." + _HEADER_NOTE,
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [_STATEMENT, {"type": "array", "items": _STATEMENT}]}
            }
        },
    },
    "responses": {
        "200": {
            "description": "The ids of the statements, in order",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "string"}}}
            },
        }
    },
}

PUT_DOC: dict[str, Any] = {
    "description": "Store one statement under `statementId`: 204 when stored or already "
    "stored with the same content, 409 when stored with other content." + _HEADER_NOTE,
    "parameters": [
        {
            "name": "statementId",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": _STATEMENT}}},
}

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid statement, query or version header"},
    401: {"description": "Missing or unknown credentials (HTTP Basic or Bearer)"},
    403: {"description": "The key's role may not do this"},
    409: {"description": "The statement id is stored with other content"},
    413: {"description": "Body or batch too large"},
}
