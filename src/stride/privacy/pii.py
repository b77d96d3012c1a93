"""Find personal data in event text and redact or reject it before anything is stored.

Pure: stdlib only. `scan_text` finds e-mail addresses, phone numbers, payment cards (Luhn),
IP addresses (checked by `ipaddress`) and national ids (US SSN, UK National Insurance number,
IBAN with its mod-97 check); `scan_event` applies a `PiiPolicy` to a whole event payload.

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

import ipaddress
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from stride.errors import FieldError, InvalidInput

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

PiiKind = Literal["email", "phone", "card", "ip", "national_id"]
LEARNER_FIELD = "learner"


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: what it is and where it lies, as `text[start:end]`."""

    kind: PiiKind
    start: int
    end: int


# Each pattern opens with a character class and only then looks behind, at the character
# before it: the regex engine can then skip ahead to candidates instead of trying every position.
_EMAIL = re.compile(
    r"[\w.%+-](?<![\w.%+-].)[\w.%+-]{0,63}@(?:[\w-]{1,63}\.){1,8}[^\W\d_]{2,63}(?![\w-])"
)
# A maximal run of phone characters; possessive, so a rejected run never yields a shorter one.
_PHONE_RUN = re.compile(r"[+(0-9](?<![\w+].)(?<!\w[.-].)[0-9 ().\u00a0-]*+")
_LONGEST_PHONE = 32  # characters: 15 digits and generous separators ("+44 (0) 20 7946 0958")
_RUN_GOES_ON = re.compile(r"\w|[.-]\w|:[0-9]")  # a UUID segment, a version, a time of day
_DATE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}([-./])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{1,2}([-./])[0-9]{1,2}\2[0-9]{4})"
    r"(?![0-9])"
)
_DIGITS = re.compile(r"[0-9]+")
_CARD = re.compile(
    r"[0-9](?<![\w.-].)(?:[0-9]{12,18}|[0-9]{3}([ -])"
    r"(?:[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?P<tail>\1[0-9]{1,3})?|[0-9]{6}\1[0-9]{4,5}))(?!\w)"
)
_SSN = re.compile(r"[0-8](?<![\w-].)[0-9]{2}(?<!000|666)-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![\w-])")
_NINO = re.compile(
    r"[A-CEGHJ-PR-TW-Z](?<!\w.)[A-CEGHJ-NPR-TW-Z](?<!BG|GB|KN|NK|NT|TN|ZZ)(?: ?[0-9]{2}){3} ?"
    r"[A-D](?!\w)"
)
_IBAN = re.compile(r"[A-Z](?<!\w.)[A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)")
# IBAN length by country, from the SWIFT IBAN registry.
_IBAN_REGISTRY = """AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24
    DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21
    HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22
    MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31
    SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"""
_IBAN_LENGTHS = {entry[:2]: int(entry[2:]) for entry in _IBAN_REGISTRY.split()}
_IBAN_DIGITS = str.maketrans({chr(code): str(code - 55) for code in range(65, 91)})  # A=10
_IPV4 = re.compile(r"[0-9](?<![\w.].)[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?!\w|\.[0-9])")
# A colon within the first five characters, or every hex word would be a candidate.
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![\w:.].)(?:(?<=:)|[0-9A-Fa-f]{0,3}:)[0-9A-Fa-f:]{1,38}"
    r"(?:(?<=:)[0-9]{1,3}(?:\.[0-9]{1,3}){3})?(?![\w:]|\.[0-9])"
)
_DOUBLED = str.maketrans("0123456789", "0246813579")  # Luhn: 2d, minus 9 past 9


def _emails(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        yield Finding("email", match.start(), match.end())


def _phones(text: str) -> Iterator[Finding]:
    for match in _PHONE_RUN.finditer(text):
        run = match.group().rstrip(" ().\u00a0-")
        end = match.start() + len(run)
        if _RUN_GOES_ON.match(text, end) is None and _is_phone(run):
            yield Finding("phone", match.start(), end)


def _is_phone(run: str) -> bool:
    if len(run) > _LONGEST_PHONE:
        return False
    groups = _DIGITS.findall(run)
    digits = sum(map(len, groups))
    if not 8 <= digits <= 15 or _DATE.search(run):
        return False
    separators = set(_DIGITS.sub("", run)) - {"+", "(", ")"}
    # Dots mixed with other separators are decimals ("0.85 0.90"); two dots at least, not "3.14".
    if "." in separators and (separators != {"."} or len(groups) < 3):
        return False
    if run[0] in "+(" or ")" in run:
        return True
    if groups[0].startswith("0"):  # the national trunk prefix; a bare number must be long
        return len(groups) > 1 or digits >= 10
    return len(groups) >= 3 and all(len(group) >= 3 for group in groups)


def _cards(text: str) -> Iterator[Finding]:
    for match in _CARD.finditer(text):
        # A short tail may be a CVV or a year rather than the end of a 17-19 digit card.
        ends = [match.end(), match.start("tail")] if match.group("tail") else [match.end()]
        for end in ends:
            if _luhn_holds(text[match.start() : end].replace(" ", "").replace("-", "")):
                yield Finding("card", match.start(), end)
                break


def _luhn_holds(digits: str) -> bool:
    doubled = digits[-2::-2].translate(_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


def _national_ids(text: str) -> Iterator[Finding]:
    for pattern in (_SSN, _NINO):
        for match in pattern.finditer(text):
            yield Finding("national_id", match.start(), match.end())
    for match in _IBAN.finditer(text):
        candidate = match.group()
        length = _IBAN_LENGTHS.get(candidate[:2], 0)
        # Drop trailing capitalised words the pattern took in, down to the country's length.
        while len(candidate.replace(" ", "")) > length and " " in candidate:
            candidate = candidate.rsplit(" ", 1)[0]
        compact = candidate.replace(" ", "")
        if len(compact) == length and _mod97_holds(compact):
            yield Finding("national_id", match.start(), match.start() + len(candidate))


def _mod97_holds(iban: str) -> bool:
    return int((iban[4:] + iban[:4]).translate(_IBAN_DIGITS)) % 97 == 1


def _ips(text: str) -> Iterator[Finding]:
    for pattern, address in ((_IPV4, ipaddress.IPv4Address), (_IPV6, ipaddress.IPv6Address)):
        for match in pattern.finditer(text):
            candidate = match.group()
            # "1::" or "::1" say nothing about a person; two groups at least rule out "step 1::".
            if address is ipaddress.IPv6Address and sum(map(bool, candidate.split(":"))) < 2:
                continue
            try:
                address(candidate)
            except ValueError:
                continue
            yield Finding("ip", match.start(), match.end())


_DETECTORS: tuple[Callable[[str], Iterator[Finding]], ...] = (
    _cards,
    _national_ids,
    _ips,
    _emails,
    _phones,
)
# Every kind but e-mail and IPv6 (which need "@" or ":") holds at least this many digits.
_FEWEST_DIGITS = 4
# On equal length the most specific kind wins: a Luhn-checked card over a phone, say.
_RANK: dict[str, int] = {"card": 0, "national_id": 1, "ip": 2, "email": 3, "phone": 4}


def scan_text(text: str) -> list[Finding]:
    """Return the personal data in `text`, sorted by start and never overlapping.

    Where candidates overlap, the longest wins, then the most specific kind.
    """
    digits = sum(map(str.isdigit, text))
    if digits < _FEWEST_DIGITS and "@" not in text and ":" not in text:
        return []  # most ids and words: nothing any detector could match
    candidates = sorted(
        (finding for detect in _DETECTORS for finding in detect(text)),
        key=lambda f: (f.start - f.end, _RANK[f.kind], f.start),
    )
    starts: list[int] = []
    chosen: list[Finding] = []
    for finding in candidates:
        at = bisect_left(starts, finding.start)
        if (at > 0 and chosen[at - 1].end > finding.start) or (
            at < len(chosen) and chosen[at].start < finding.end
        ):
            continue
        starts.insert(at, finding.start)
        chosen.insert(at, finding)
    return chosen


def redact_text(text: str, findings: list[Finding]) -> str:
    """Return `text` with each finding replaced by `[redacted:<kind>]`.

    Raises:
        ValueError: if findings overlap or lie outside the text.
    """
    parts: list[str] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < cursor or finding.end > len(text) or finding.end <= finding.start:
            raise ValueError(f"finding {finding} overlaps another or lies outside the text")
        parts += [text[cursor : finding.start], f"[redacted:{finding.kind}]"]
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)


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
        return self.default is not None or any(
            _covers(prefix, key) or _covers(key, prefix) for prefix in self.fields
        )


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


class _Walk:
    """Copies a payload, redacting as it goes and keeping the tally."""

    def __init__(self, policy: PiiPolicy) -> None:
        self.policy = policy
        self.rejected: dict[PiiViolation, None] = {}  # a dict keeps order and drops repeats
        self.counts: dict[str, int] = {}

    def value(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return self._text(value, path)
        if isinstance(value, Mapping):
            return {key: self.value(item, f"{path}.{key}") for key, item in value.items()}
        if isinstance(value, list | tuple):
            items = [self.value(item, f"{path}[{index}]") for index, item in enumerate(value)]
            return items if isinstance(value, list) else tuple(items)
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
