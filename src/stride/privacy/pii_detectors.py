"""Find personal data in text: the detectors behind the PII scanner (stride.privacy.pii).

Pure: stdlib only. E-mail addresses, phone numbers, payment cards (Luhn), IP addresses (checked
by `ipaddress`) and national ids (US SSN, UK National Insurance number, IBAN with its mod-97
check). Trade-offs are listed in stride.privacy.pii.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

PiiKind = Literal["email", "phone", "card", "ip", "national_id"]


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
# What a finding needs: that many digits (phones, cards, ids, IPv4), an "@" (e-mail), or two
# colons with at most one hex group between them (every IPv6 address has such a pair, a URL's
# "https://host:8080" has none). Searched in C: scanning every string in Python cost ingest.
_ENOUGH_DIGITS = re.compile(r"(?:\d\D*){" + str(_FEWEST_DIGITS) + "}")
_COLON_PAIR = re.compile(r":[0-9A-Fa-f]{0,4}:")
# On equal length the most specific kind wins: a Luhn-checked card over a phone, say.
_RANK: dict[str, int] = {"card": 0, "national_id": 1, "ip": 2, "email": 3, "phone": 4}


def scan_text(text: str) -> list[Finding]:
    """Return the personal data in `text`, sorted by start and never overlapping.

    Where candidates overlap, the longest wins, then the most specific kind.
    """
    if not (_ENOUGH_DIGITS.search(text) or "@" in text or _COLON_PAIR.search(text)):
        return []  # most ids, words and URLs: nothing any detector could match
    return scan_every_detector(text)


def scan_every_detector(text: str) -> list[Finding]:
    """`scan_text` without its shortcut for text no detector could match (for tests)."""
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
