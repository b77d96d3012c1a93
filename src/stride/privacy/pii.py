"""Find personal data in event text and redact or reject it before anything is stored.

Pure: stdlib only. `scan_text` (stride.privacy.pii_detectors) finds e-mail addresses, phone
numbers, payment cards (Luhn), IP addresses (checked by `ipaddress`) and national ids (US SSN,
UK National Insurance number, IBAN with its mod-97 check); `scan_event` applies a `PiiPolicy` to
a whole event payload.

The learner id (the top-level `learner` field) is never scanned here: ingest replaces it with
a keyed hash (`stride.privacy.pseudonym`), and redacting it would break that link.

Every pattern is linear: bounded or possessive quantifiers, and a lookbehind so that no match
starts inside a word or a number. Trade-offs, biased towards not storing personal data:

- A bare four-part number such as "1.2.3.4" parses as an IPv4 address and is reported as one;
  "v1.2.3.4" or "1.2.3.4.5" are not, since an address must stand alone between word boundaries.
- A phone has 8-15 digits, no ISO date inside, and a leading "+", an area code in parentheses,
  a national trunk "0" or three or more groups of three or more digits (555-123-4567). So score
  lists ("85 90 77 66"), epoch times and bare ids are not phones; neither is a national number
  without trunk "0" written in pairs: such numbers are only caught in their "+" form.
- Cards are 13-19 digits, bare or grouped 4-4-4-4(-n), 4-6-5 or 4-6-4, and must pass Luhn, so
  one random number in ten of that length is redacted as a card.
- SSNs only in the dashed form; NI numbers and IBANs in capitals; local parts up to 64 chars.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from stride.errors import FieldError, InvalidInput
from stride.privacy.pii_detectors import Finding, PiiKind, redact_text, scan_text

__all__ = [
    "DEFAULT_POLICY",
    "Action",
    "Finding",
    "PiiKind",
    "PiiOutcome",
    "PiiPolicy",
    "PiiViolation",
    "parse_pii_policy",
    "redact_text",
    "scan_event",
    "scan_text",
]

LEARNER_FIELD = "learner"


class Action(StrEnum):
    """What to do with a field where personal data is found."""

    REJECT = "reject"
    REDACT = "redact"


@dataclass(frozen=True)
class PiiPolicy:
    """Actions by dotted path prefix; `default` covers other strings (None: not scanned)."""

    fields: Mapping[str, Action]
    default: Action | None = None
    # Ingest asks for the same few paths on every event: resolve each once.
    _actions: dict[str, Action | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _reached: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def action_for(self, path: str) -> Action | None:
        """The action of the longest prefix covering `path`, else the default."""
        if path in self._actions:
            return self._actions[path]
        covering = [prefix for prefix in self.fields if _covers(prefix, path)]
        action = self.fields[max(covering, key=len)] if covering else self.default
        if len(self._actions) < _MAX_CACHED_PATHS:
            self._actions[path] = action
        return action

    def reaches(self, key: str) -> bool:
        """Whether any string under the top-level `key` can be scanned."""
        reached = self._reached.get(key)
        if reached is None:
            reached = self.default is not None or any(
                _covers(prefix, key) or _covers(key, prefix) for prefix in self.fields
            )
            if len(self._reached) < _MAX_CACHED_PATHS:
                self._reached[key] = reached
        return reached


_MAX_CACHED_PATHS = 10_000  # properties may hold many distinct keys; bound the memory


def _covers(prefix: str, path: str) -> bool:
    # Whole segments only: "properties" covers "properties.x" but not "properties_x".
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[")


# Every free-text field an event has: its properties, the learner's response and the extra
# context keys (ids in context are scanned too; the detectors leave ordinary ids alone).
DEFAULT_POLICY = PiiPolicy(
    MappingProxyType(
        {"properties": Action.REDACT, "result.response": Action.REDACT, "context": Action.REDACT}
    ),
    default=None,
)


@dataclass(frozen=True)
class PiiViolation:
    """Personal data of `kind` in a field whose action is `reject`."""

    path: str
    kind: PiiKind


@dataclass(frozen=True)
class PiiOutcome:
    """`rejected` lists each (path, kind) once; `counts` counts every finding by kind.

    `redacted_payload` is a new payload with every finding redacted, whatever its action.
    """

    rejected: list[PiiViolation]
    redacted_payload: dict[str, Any]
    counts: dict[str, int]


def scan_event(payload: Mapping[str, Any], policy: PiiPolicy) -> PiiOutcome:
    """Scan each string of `payload` that `policy` covers; the input is never mutated."""
    walk = _Walk(policy)
    redacted = {
        key: walk.value(value, str(key))
        if key != LEARNER_FIELD and policy.reaches(str(key))
        else value
        for key, value in payload.items()
    }
    return PiiOutcome(list(walk.rejected), redacted, walk.counts)


_PLAIN = frozenset({int, float, bool, type(None)})  # values with no text to scan


class _Walk:
    """Copies a payload, redacting as it goes and keeping the tally."""

    def __init__(self, policy: PiiPolicy) -> None:
        self.policy = policy
        self.rejected: dict[PiiViolation, None] = {}  # a dict keeps order and drops repeats
        self.counts: dict[str, int] = {}

    def value(self, value: Any, path: str) -> Any:
        # Exact types first: JSON gives only these, and the isinstance checks below (an ABC
        # among them) are slow for a walk that runs over every field of every event.
        kind = type(value)
        if kind is str:
            return self._text(value, path)
        if kind in _PLAIN:
            return value
        if kind is dict or isinstance(value, Mapping):
            return {key: self.value(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, list | tuple):
            items = [self.value(item, f"{path}[{index}]") for index, item in enumerate(value)]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, str):  # a subclass of str (an enum, say): text all the same
            return self._text(value, path)
        return value

    def _text(self, text: str, path: str) -> str:
        action = self.policy.action_for(path)
        if action is None:
            return text
        findings = scan_text(text)
        for finding in findings:
            self.counts[finding.kind] = self.counts.get(finding.kind, 0) + 1
            if action is Action.REJECT:
                self.rejected[PiiViolation(path, finding.kind)] = None
        return redact_text(text, findings) if findings else text


_PATH = re.compile(r"[^.\[\]\s]+(?:\[[0-9]+\])*(?:\.[^.\[\]\s]+(?:\[[0-9]+\])*)*")
_ACTION_VALUES = tuple(action.value for action in Action)
_KEYS = ("fields", "default")


def parse_pii_policy(mapping: object) -> PiiPolicy:
    """Build a policy from a plain mapping such as `{"fields": {"properties": "reject"}}`.

    Raises:
        InvalidInput: listing each unknown key or action and each malformed path.
    """
    if not isinstance(mapping, Mapping):
        raise _invalid([FieldError("(policy)", "must be a mapping with 'fields' and 'default'")])
    errors = [FieldError(str(key), "unknown field") for key in mapping if key not in _KEYS]
    fields: dict[str, Action] = {}
    raw_fields = mapping.get("fields", {})
    if not isinstance(raw_fields, Mapping):
        errors.append(FieldError("fields", "must be a mapping of field paths to actions"))
        raw_fields = {}
    for path, raw in raw_fields.items():
        if (problem := _path_problem(path)) is not None:
            errors.append(FieldError("fields", problem))
        elif (action := _action(raw, f"fields.{path}", errors)) is not None:
            fields[path] = action
    raw_default = mapping.get("default")
    default = None if raw_default is None else _action(raw_default, "default", errors)
    if errors:
        raise _invalid(errors)
    return PiiPolicy(MappingProxyType(fields), default)


def _invalid(errors: list[FieldError]) -> InvalidInput:
    return InvalidInput("the PII policy is not valid", errors=errors)


def _path_problem(path: object) -> str | None:
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        return f"{path!r} is not a dotted field path such as 'properties' or 'result.response'"
    if _covers(LEARNER_FIELD, path):
        return f"{path!r}: the learner id is pseudonymised, never scanned"
    return None


def _action(raw: object, path: str, errors: list[FieldError]) -> Action | None:
    if isinstance(raw, str) and raw in _ACTION_VALUES:
        return Action(raw)
    errors.append(
        FieldError(path, f"unknown action {raw!r}; expected one of: {', '.join(_ACTION_VALUES)}")
    )
    return None
