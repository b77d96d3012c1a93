"""Streamed exports of events and read models."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["exports"])
