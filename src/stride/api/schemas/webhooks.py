"""Schemas of the webhooks API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from stride.store.webhooks import DeliveryRow, WebhookRow

DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(BaseModel):
    url: str = Field(
        max_length=2048,
        description="http(s) URL without credentials; private, loopback and link-local "
        "targets are refused unless the operator allows them",
        examples=["https://hooks.example.com/stride"],
    )
    event_types: list[str] = Field(
        min_length=1,
        max_length=50,
        description="Event types or patterns: `skill.acquired`, `achievement.*`, "
        "`custom.quiz.started`, `custom.*`, or `*` for every type",
        examples=[["skill.acquired", "achievement.*"]],
    )
    description: str | None = Field(default=None, max_length=500)


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str | None
    created_at: datetime
    disabled_at: datetime | None = Field(
        description="Set when the receiver answered 410 Gone; nothing is sent after it"
    )

    @classmethod
    def of(cls, row: WebhookRow) -> WebhookPublic:
        return cls(
            id=row.id,
            url=row.url,
            event_types=row.event_types,
            description=row.description,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
        )


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="Signs every delivery (`Stride-Signature`). Shown this once: store it now"
    )


class WebhooksPublic(BaseModel):
    webhooks: list[WebhookPublic]


class DeliveryPublic(BaseModel):
    id: str = Field(description="Also sent as `Stride-Delivery`: receivers dedupe by it")
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: DeliveryRow) -> DeliveryPublic:
        status: DeliveryStatus = (
            "delivered"
            if row.status == "delivered"
            else "failed"
            if row.status == "failed"
            else "pending"
        )
        return cls(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            status=status,
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if status == "pending" else None,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )


class DeliveriesPublic(BaseModel):
    deliveries: list[DeliveryPublic] = Field(description="Newest first")
