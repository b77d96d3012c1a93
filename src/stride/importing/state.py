"""The saved position of an import, so a stopped import continues where it left off.

A small JSON file next to the input (`FILE.stride-import.json`, or `--state PATH`), replaced
atomically after every committed batch. It names the file it belongs to by size, modification
time and a SHA-256 of its first 64 KB, and the settings (tenant, format, mapping) it was read
with; a position saved for another file or other settings is not used.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stride.importing.readers import Position

STATE_VERSION = 1
STATE_SUFFIX = ".stride-import.json"
ERRORS_SUFFIX = ".errors.jsonl"
IDENTITY_BYTES = 64 * 1024
COUNTS = ("accepted", "duplicate", "conflict", "rejected", "skipped")


@dataclass(frozen=True)
class FileIdentity:
    size: int
    mtime_ns: int
    head_sha256: str


@dataclass(frozen=True)
class ImportState:
    """Everything committed so far: the position after the last batch and the totals to it."""

    identity: FileIdentity
    settings: str  # a fingerprint of tenant, format and mapping
    position: Position
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    errors_size: int = 0  # bytes of the error file written up to this position
    complete: bool = False


def default_state_path(path: Path) -> Path:
    return path.with_name(path.name + STATE_SUFFIX)


def default_errors_path(path: Path) -> Path:
    return path.with_name(path.name + ERRORS_SUFFIX)


def file_identity(path: Path) -> FileIdentity:
    info = path.stat()
    with path.open("rb") as stream:
        head = stream.read(IDENTITY_BYTES)
    return FileIdentity(info.st_size, info.st_mtime_ns, hashlib.sha256(head).hexdigest())


def settings_fingerprint(settings: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(settings, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def load_state(path: Path) -> ImportState | None:
    """The saved state, or None when there is none or it cannot be read (then start over)."""
    try:
        data = orjson.loads(path.read_bytes())
        if data.get("version") != STATE_VERSION:
            return None
        return ImportState(
            FileIdentity(**data["file"]),
            data["settings"],
            Position(**data["position"]),
            {name: int(data["counts"].get(name, 0)) for name in COUNTS},
            int(data["errors_size"]),
            bool(data["complete"]),
        )
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def save_state(path: Path, state: ImportState) -> None:
    """Write the state to a temporary file, then rename it over the old one (atomic)."""
    data = {
        "version": STATE_VERSION,
        "file": asdict(state.identity),
        "settings": state.settings,
        "position": asdict(state.position),
        "counts": state.counts,
        "errors_size": state.errors_size,
        "complete": state.complete,
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.replace(temporary, path)
