"""Tenant secrets sealed at rest with a master key (Fernet: AES-128-CBC + HMAC-SHA256).

The master key comes from STRIDE_SECRET_KEY (comma-separated Fernet keys, newest first).
In embedded mode (SQLite) without it, Stride generates one into STRIDE_SECRET_KEY_FILE and
warns: a database copied without that file then reveals no tenant secret. Rotation seals
every secret with a new key while the old one still opens them (see rotate_master_key).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from stride.config import get_settings
from stride.errors import ConfigurationError

_lock = threading.Lock()
_cached: tuple[tuple[str, ...], MultiFernet] | None = None


def _parse_keys(text: str) -> tuple[str, ...]:
    keys = tuple(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())
    for key in keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ConfigurationError(
                "A master key is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with `stride keys generate-master`."
            ) from exc
    return keys


def key_file() -> Path:
    return Path(get_settings().SECRET_KEY_FILE)


def master_keys() -> tuple[str, ...]:
    """The master keys in force, newest first; generates the key file in embedded mode."""
    settings = get_settings()
    if settings.SECRET_KEY.strip():
        return _parse_keys(settings.SECRET_KEY)
    path = key_file()
    if path.exists():
        keys = _parse_keys(path.read_text())
        if keys:
            return keys
    if not settings.DATABASE_URL.startswith("sqlite"):
        raise ConfigurationError(
            "STRIDE_SECRET_KEY is not set. On PostgreSQL every process must share one master "
            "key: generate it with `stride keys generate-master` and set STRIDE_SECRET_KEY."
        )
    write_key_file(path, (Fernet.generate_key().decode(),))
    # On stderr, so that `--json` output stays one JSON object.
    print(
        f"warning: STRIDE_SECRET_KEY is not set; generated a master key into {path}. Keep that "
        "file safe and back it up apart from the database (without it the tenants' secrets "
        "cannot be opened), or set STRIDE_SECRET_KEY.",
        file=sys.stderr,
    )
    return _parse_keys(path.read_text())


def write_key_file(path: Path, keys: tuple[str, ...]) -> None:
    """Write keys (newest first) readable by the owner only, replacing the file atomically."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(keys) + "\n")
    temporary.replace(path)


def _box(reload: bool = False) -> MultiFernet:
    global _cached
    with _lock:
        if _cached is None or reload:
            keys = master_keys()
            if _cached is None or _cached[0] != keys:
                _cached = (keys, MultiFernet([Fernet(k) for k in keys]))
        return _cached[1]


def forget_cached_keys() -> None:
    """Drop the cached keys (after a rotation, or when settings change in tests)."""
    global _cached
    with _lock:
        _cached = None


def seal(plain: str) -> str:
    return _box().encrypt(plain.encode()).decode()


def unseal(token: str) -> str:
    """The plain secret; re-reads the keys once if they changed (another process rotated)."""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken:
        pass
    try:
        return _box(reload=True).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ConfigurationError(
            "A tenant secret was sealed with a master key Stride does not have: set "
            "STRIDE_SECRET_KEY (or the key file) to the key it was sealed with."
        ) from exc


def reseal(token: str, keys: tuple[str, ...]) -> str:
    """Seal again with the first of `keys`; any of them (or the current keys) may open it."""
    box = MultiFernet([Fernet(k) for k in keys])
    try:
        return box.rotate(token.encode()).decode()
    except InvalidToken:
        plain = _box().decrypt(token.encode())
        return box.encrypt(plain).decode()


def new_master_key() -> str:
    return Fernet.generate_key().decode()
