"""Small helpers for API tests."""

from __future__ import annotations


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}
