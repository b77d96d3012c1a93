"""The Stride Python SDK: track learning events reliably, read consent and progress.

Needs only httpx and the standard library (no FastAPI, SQLAlchemy or Pydantic), so a
platform can `from stride.sdk import Client` without the server's dependencies.
See docs/sdk.md.
"""

from stride.sdk.async_client import AsyncClient
from stride.sdk.client import Client
from stride.sdk.delivery import DeliveryStats
from stride.sdk.errors import (
    ClientClosed,
    FieldProblem,
    QueueFull,
    StrideAPIError,
    StrideConnectionError,
    StrideSDKError,
)
from stride.sdk.events import build_event, new_event_id

__all__ = [
    "AsyncClient",
    "Client",
    "ClientClosed",
    "DeliveryStats",
    "FieldProblem",
    "QueueFull",
    "StrideAPIError",
    "StrideConnectionError",
    "StrideSDKError",
    "build_event",
    "new_event_id",
]
