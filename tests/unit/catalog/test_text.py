"""Reading catalog text: YAML by default, JSON when declared, syntax errors with positions."""

from __future__ import annotations

import pytest

from stride.catalog import load_catalog_text
from stride.errors import InvalidInput


def reason_for(text: str | bytes, **kwargs: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        load_catalog_text(text, **kwargs)
    [error] = caught.value.errors
    assert error.path == "(catalog)"
    return error.reason


def test_yaml_and_json_give_the_same_document() -> None:
    yaml_text = "name: X\nactivities:\n  - {id: p, type: program}\n"
    json_text = '{"name": "X", "activities": [{"id": "p", "type": "program"}]}'
    expected = {"name": "X", "activities": [{"id": "p", "type": "program"}]}
    assert load_catalog_text(yaml_text) == expected
    assert load_catalog_text(json_text) == expected
    assert load_catalog_text(json_text.encode(), filename="c.json") == expected
    assert load_catalog_text("\ufeff" + yaml_text, filename="c.yaml") == expected
    assert load_catalog_text(b"\xef\xbb\xbf" + yaml_text.encode()) == expected


def test_a_yaml_syntax_error_names_line_and_column() -> None:
    reason = reason_for("name: X\nactivities:\n  - {id: p, type: program\n")
    assert reason.startswith("invalid YAML at line 4, column 1:")


@pytest.mark.parametrize(
    "kwargs",
    [{"filename": "catalog.JSON"}, {"content_type": "application/json; charset=utf-8"}],
)
def test_declared_json_gets_json_errors(kwargs: dict[str, str]) -> None:
    reason = reason_for('{"name": "X",\n "activities": [}', **kwargs)
    assert reason == "invalid JSON at line 2, column 17: Expecting value"


def test_bytes_must_be_utf8() -> None:
    assert reason_for(b"name: \xff") == "not UTF-8 text: byte 6 cannot be decoded"
