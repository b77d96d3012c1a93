"""Verified credentials, kept briefly in memory so a busy LRS client costs no lookup per request.

A revoked key keeps working in a process for at most `ttl` seconds after its revocation.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CredentialCache(Generic[T]):
    def __init__(self, ttl: float = 60.0, size: int = 1024) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, credential: str) -> T | None:
        """The cached principal for `credential` if it is still fresh, else None."""
        with self._lock:
            found = self._entries.get(credential)
            if found is None or found[0] <= time.monotonic():
                return None
            self._entries.move_to_end(credential)
            return found[1]

    def get_or_verify(self, credential: str, verify: Callable[[], T]) -> T:
        """The cached principal for `credential`, else `verify()` (which raises when invalid)."""
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(credential)
            if found is not None and found[0] > now:
                self._entries.move_to_end(credential)
                return found[1]
        principal = verify()  # failures are not cached: a wrong secret is checked every time
        with self._lock:
            self._entries[credential] = (now + self._ttl, principal)
            self._entries.move_to_end(credential)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return principal

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
