"""Read a catalog document from YAML or JSON text, with the line and column of a syntax error."""

from __future__ import annotations

import json

import yaml

from stride.errors import FieldError, InvalidInput

_JSON_TYPES = ("application/json",)


def load_catalog_text(
    text: str | bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    what: str = "catalog",
) -> object:
    """The document in `text`: JSON when the name or media type says so, YAML otherwise.

    JSON is also valid YAML, so YAML is the default; JSON is parsed as JSON only to give
    JSON's own error messages to someone who sent JSON.

    Also reads other documents kept as YAML or JSON files (`what` names them in errors).

    Raises:
        InvalidInput: the text is not UTF-8 or not well-formed; the reason gives line and column.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _syntax(what, f"not UTF-8 text: byte {exc.start} cannot be decoded") from None
    if _is_json(filename, content_type):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _syntax(
                what, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "malformed document"
        raise _syntax(what, f"invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise _syntax(what, f"invalid YAML: {exc}") from None


def _is_json(filename: str | None, content_type: str | None) -> bool:
    if filename is not None and filename.lower().endswith(".json"):
        return True
    if content_type is None:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_TYPES or media_type.endswith("+json")


def _syntax(what: str, reason: str) -> InvalidInput:
    return InvalidInput(f"the {what} cannot be read", errors=[FieldError(f"({what})", reason)])
