"""An in-process stand-in for POST /v1/events, for httpx.MockTransport."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx

# Answers the n-th request (from 0) with a response, or None for the normal answer.
Script = Callable[[int, httpx.Request], httpx.Response | None]


class FakeStride:
    """Stores events by id like Stride does: a resent id is a `duplicate`."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script
        self.requests: list[httpx.Request] = []
        self.batches: list[list[dict[str, Any]]] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.reject: Callable[[dict[str, Any]], bool] = lambda event: False
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            number = len(self.requests)
            self.requests.append(request)
        scripted = self.script(number, request) if self.script else None
        if scripted is not None:
            return scripted
        events = json.loads(request.content)["events"]
        results = []
        with self._lock:
            self.batches.append(events)
            for index, event in enumerate(events):
                if self.reject(event):
                    status = "rejected"
                elif event["id"] in self.stored:
                    status = "duplicate"
                else:
                    self.stored[event["id"]] = event
                    status = "accepted"
                result: dict[str, Any] = {"index": index, "id": event["id"], "status": status}
                if status == "rejected":
                    result["reason"] = "invalid"
                    result["errors"] = [{"path": "result.score", "reason": "too big"}]
                results.append(result)
        counts = {s: sum(r["status"] == s for r in results) for s in ("accepted", "duplicate")}
        return httpx.Response(
            200,
            json={
                "accepted": counts["accepted"],
                "duplicates": counts["duplicate"],
                "conflicts": 0,
                "rejected": sum(r["status"] == "rejected" for r in results),
                "results": results,
            },
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def sent_ids(self) -> list[str]:
        return [event["id"] for batch in self.batches for event in batch]


def problem(status: int, detail: str, **extra: Any) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": "about:blank", "title": "Error", "status": status, "detail": detail, **extra},
        headers={"Content-Type": "application/problem+json"},
    )
