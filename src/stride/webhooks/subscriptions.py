"""Which event types a webhook receives: known types, `custom.*` types and family patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stride.errors import FieldError, InvalidInput
from stride.events.types import CUSTOM_EVENT_TYPE, KNOWN_EVENT_TYPES

# Sent by `POST /v1/webhooks/{id}/test` only; never in the log, so never subscribed to.
TEST_EVENT_TYPE = "webhook.test"
MAX_PATTERNS = 50

_FAMILIES = frozenset(name.split(".", 1)[0] for name in KNOWN_EVENT_TYPES) | {"custom"}
_CUSTOM = re.compile(CUSTOM_EVENT_TYPE)


@dataclass(frozen=True)
class Subscription:
    """The types a webhook wants: exact names, plus prefixes for `custom.*` (open-ended)."""

    exact: frozenset[str]
    prefixes: tuple[str, ...] = ()
    everything: bool = False

    def matches(self, event_type: str) -> bool:
        return (
            self.everything
            or event_type in self.exact
            or any(event_type.startswith(prefix) for prefix in self.prefixes)
        )


def check_event_types(patterns: Iterable[str]) -> list[str]:
    """The patterns, deduplicated in order; raises InvalidInput naming each bad one."""
    checked: list[str] = []
    errors: list[FieldError] = []
    for index, pattern in enumerate(patterns):
        if not _valid(pattern):
            reason = (
                f"{pattern!r} is neither a known event type, a custom.* type, "
                f"'<family>.*' (one of {', '.join(sorted(_FAMILIES))}) nor '*'"
            )
            errors.append(FieldError(f"event_types[{index}]", reason))
        elif pattern not in checked:
            checked.append(pattern)
    if errors:
        raise InvalidInput("Some event types cannot be subscribed to.", errors)
    if not checked:
        raise InvalidInput("Name at least one event type.", [FieldError("event_types", "empty")])
    if len(checked) > MAX_PATTERNS:
        reason = f"at most {MAX_PATTERNS} patterns"
        raise InvalidInput(f"Too many event types: {reason}.", [FieldError("event_types", reason)])
    return checked


def _valid(pattern: str) -> bool:
    if pattern == "*" or pattern in KNOWN_EVENT_TYPES:
        return True
    if pattern.endswith(".*"):
        return pattern[:-2] in _FAMILIES
    return _CUSTOM.fullmatch(pattern) is not None


def subscription(patterns: Iterable[str]) -> Subscription:
    """Expand checked patterns: known families become their known types (an index lookup each)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for pattern in patterns:
        if pattern == "*":
            return Subscription(frozenset(), (), everything=True)
        if pattern == "custom.*":
            prefixes.append("custom.")
        elif pattern.endswith(".*"):
            family = pattern[:-1]
            exact.update(name for name in KNOWN_EVENT_TYPES if name.startswith(family))
        else:
            exact.add(pattern)
    return Subscription(frozenset(exact), tuple(prefixes))
