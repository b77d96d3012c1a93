"""Analytics endpoints under /v1/analytics (see docs/analytics.md)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
