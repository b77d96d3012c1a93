"""Webhook signatures: `Stride-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
# Receivers should refuse signatures older than this (replayed deliveries).
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    """A fresh signing secret (256 random bits), shown to the tenant once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> bool:
    """True when `header` signs `body` under `secret` and is at most `tolerance_s` old."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    # Constant-time: a timing difference must not reveal how much of a guess was right.
    return hmac.compare_digest(sign(secret, timestamp, body), parts.get("v1", ""))
