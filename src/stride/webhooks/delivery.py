"""One delivery attempt: the signed request, its outcome, and the delivery's next state."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from stride.events.validation import utc_text
from stride.store.webhooks import DELIVERED, FAILED, PENDING, DeliveryRow
from stride.webhooks.backoff import RetryPolicy, gives_up, retry_delay
from stride.webhooks.signing import signature_header
from stride.webhooks.subscriptions import TEST_EVENT_TYPE
from stride.webhooks.urls import Resolver, TargetRefused, resolve_target

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status, or an error before any answer."""

    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def test_event(delivery: DeliveryRow) -> dict[str, Any]:
    """The made-up event a `webhook.test` delivery carries (it is not in the log)."""
    return {
        "id": delivery.event_id,
        "type": TEST_EVENT_TYPE,
        "timestamp": utc_text(delivery.created_at),
        "test": True,
    }


def delivery_body(delivery: DeliveryRow, event: dict[str, Any], sent_at: datetime) -> bytes:
    document = {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event": event,
        "sent_at": utc_text(sent_at),
    }
    return orjson.dumps(document)


def send(
    client: httpx.Client,
    url: str,
    secret: str,
    delivery: DeliveryRow,
    body: bytes,
    sent_at: datetime,
    allow_private: bool,
    resolver: Resolver,
) -> Outcome:
    """POST the body to the webhook's checked address; never raises for the receiver's sake."""
    headers = {
        "Content-Type": "application/json",
        "Stride-Delivery": delivery.id,
        "Stride-Event-Type": delivery.event_type,
    }
    return post_signed(client, url, secret, body, headers, sent_at, allow_private, resolver)


def post_signed(
    client: httpx.Client,
    url: str,
    secret: str,
    body: bytes,
    headers: dict[str, str],
    sent_at: datetime,
    allow_private: bool,
    resolver: Resolver,
) -> Outcome:
    """POST `body`, signed with `secret`, to the address the SSRF check resolved for `url`;
    never raises for the receiver's sake (webhooks and report deliveries)."""
    try:
        target = resolve_target(url, allow_private, resolver)
    except TargetRefused as exc:
        return Outcome(error=f"refused: {exc}"[:MAX_ERROR_LENGTH])
    signed = {
        **headers,
        "Host": urlsplit(url).netloc,
        "Stride-Signature": signature_header(secret, int(sent_at.timestamp()), body),
    }
    # TLS must still check the certificate against the name the tenant gave, not the address.
    extensions = {"sni_hostname": target.host} if target.url.startswith("https:") else {}
    try:
        # Streamed and closed unread: the status is all Stride keeps of the answer.
        with client.stream(
            "POST", target.url, content=body, headers=signed, extensions=extensions
        ) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
    if 300 <= status < 400:
        # Never followed: a redirect could point anywhere, past the address check.
        return Outcome(status, "redirect not followed")
    return Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")


def next_state(
    delivery: DeliveryRow, outcome: Outcome, now: datetime, rng: random.Random, policy: RetryPolicy
) -> dict[str, Any]:
    """The delivery's columns after this attempt: delivered, failed, or pending for a retry."""
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.delivered:
        return {**values, "status": DELIVERED, "delivered_at": now}
    if outcome.gone or gives_up(attempts, policy):
        return {**values, "status": FAILED}
    delay = retry_delay(attempts, rng, policy)
    return {**values, "status": PENDING, "next_attempt_at": now + timedelta(seconds=delay)}
