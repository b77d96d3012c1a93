"""The saved position of an import: written atomically, read back, ignored when unreadable."""

from __future__ import annotations

from pathlib import Path

from stride.importing.readers import Position
from stride.importing.state import (
    FileIdentity,
    ImportState,
    default_errors_path,
    default_state_path,
    file_identity,
    load_state,
    save_state,
    settings_fingerprint,
)


def test_state_round_trip_next_to_the_input(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_bytes(b'{"a": 1}\n' * 10)
    state = ImportState(
        file_identity(source),
        settings_fingerprint({"tenant": "t", "format": "jsonl"}),
        Position(18, 2, 2),
        {"accepted": 2, "duplicate": 0, "conflict": 0, "rejected": 0, "skipped": 0},
        errors_size=0,
    )
    path = default_state_path(source)
    assert path.name == "events.jsonl.stride-import.json"
    assert default_errors_path(source).name == "events.jsonl.errors.jsonl"
    save_state(path, state)
    assert load_state(path) == state
    assert not path.with_name(path.name + ".tmp").exists()


def test_the_identity_changes_with_the_content(tmp_path: Path) -> None:
    source = tmp_path / "e.jsonl"
    source.write_bytes(b"x" * 100)
    before = file_identity(source)
    source.write_bytes(b"y" * 100)
    after = file_identity(source)
    assert before.size == after.size and before.head_sha256 != after.head_sha256
    assert settings_fingerprint({"a": 1, "b": 2}) == settings_fingerprint({"b": 2, "a": 1})


def test_an_unreadable_state_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    assert load_state(path) is None
    path.write_text("{not json")
    assert load_state(path) is None
    path.write_text('{"version": 99}')
    assert load_state(path) is None
    save_state(path, ImportState(FileIdentity(1, 2, "h"), "s", Position()))
    path.write_text(path.read_text().replace('"position"', '"elsewhere"'))
    assert load_state(path) is None
