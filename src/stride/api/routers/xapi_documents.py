"""xAPI State, Activity Profile and Agent Profile resources; /xapi/activities and /xapi/agents."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["xapi"])
