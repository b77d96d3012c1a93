"""PII scanning: every detector's hits and near misses, redaction, and event policies."""

from __future__ import annotations

import copy
import itertools
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stride.errors import InvalidInput
from stride.privacy import pii
from stride.privacy.pii import (
    DEFAULT_POLICY,
    Action,
    Finding,
    PiiPolicy,
    PiiViolation,
    parse_pii_policy,
    redact_text,
    scan_event,
    scan_text,
)
from stride.privacy.pii_detectors import scan_every_detector


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan_text(text)]


def kinds(text: str) -> set[str]:
    return {f.kind for f in scan_text(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great session, mail me at ana.lopez@example.org", "ana.lopez@example.org"),
        ("write to first+tag@sub.uni.ac.uk.", "first+tag@sub.uni.ac.uk"),
        ("mailto:José@correo.es", "José@correo.es"),
        ("(x@y.co)", "x@y.co"),
        # Telephone numbers, international and national.
        ("call +44 20 7946 0958", "+44 20 7946 0958"),
        ("ring +1 (555) 123-4567 tonight", "+1 (555) 123-4567"),
        ("tel:+4915123456789", "+4915123456789"),
        ("(555) 123-4567", "(555) 123-4567"),
        ("555-123-4567", "555-123-4567"),
        ("555.123.4567", "555.123.4567"),
        ("Call 020 7946 0958.", "020 7946 0958"),
        ("mobile 07700 900123", "07700 900123"),
        ("mobile 07700900123", "07700900123"),
        ("appelle 01 23 45 67 89", "01 23 45 67 89"),
        ("0033 1 23 45 67 89", "0033 1 23 45 67 89"),
        ("Madrid 912 345 678", "912 345 678"),
        # IP addresses.
        ("from 192.168.1.20 today", "192.168.1.20"),
        ("dns 8.8.8.8.", "8.8.8.8"),
        ("v6 2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334"),
        ("url [2001:db8::1]:443", "2001:db8::1"),
        ("mapped ::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("link fe80::1", "fe80::1"),
    ],
)
def test_each_detector_finds_its_kind(text: str, expected: str) -> None:
    assert [value for _, value in found(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "score 0.85",
        "scores 0.85 0.90 0.77 0.66",
        "scores 85 90 77 66",
        "pi is 3.14159265",
        "submitted 2024-03-01T10:00:00Z",
        "on 2024-03-01 10:00",
        "on 01.03.2024 and 2024.03.01",
        "from 2024-03-01 to 2024-03-05",
        "at 10:00:00, 12:30",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "id 12345678-1234-5678-1234-567812345678",
        "release v1.2.3.4",
        "release 1.2.3 and 1.2.3.4.5",
        "epoch 1709287200",
        "order 12345678",
        "ISBN 978-3-16-148410-0",
        "std::vector and a:b",
        "loopback ::1",
        "256.1.1.1 is no address",
        "user@localhost",
        "@ana_handle",
        "duration PT1H30M, 85%",
        "",
    ],
)
def test_learning_text_without_personal_data_is_left_alone(text: str) -> None:
    assert found(text) == []


def test_a_bare_four_part_version_is_reported_as_an_ip() -> None:
    # It parses as an address, and letting an address through is the worse mistake.
    assert found("version 1.2.3.4") == [("ip", "1.2.3.4")]
    assert found("version v1.2.3.4 or 1.2.3.4.5") == []


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111111111111111",
        "5555-5555-5555-4444",
        "6011-1111-1111-1117",
        "3782 822463 10005",
        "4222222222222",
    ],
)
def test_cards_passing_luhn_are_found(card: str) -> None:
    assert found(f"paid with {card} yesterday") == [("card", card)]


@pytest.mark.parametrize(
    "number", ["4111 1111 1111 1112", "4111111111111112", "5555-5555-5555-4445"]
)
def test_card_shaped_numbers_failing_luhn_are_not_cards(number: str) -> None:
    assert "card" not in kinds(number)


def test_a_cvv_after_a_card_is_not_taken_for_its_last_digits() -> None:
    assert found("4111 1111 1111 1111 123") == [("card", "4111 1111 1111 1111")]


def test_a_number_both_card_and_phone_is_reported_once_as_a_card() -> None:
    # Luhn-valid and phone-shaped (trunk 0, 13 digits): the checksum makes it more specific.
    assert found("0100000000008") == [("card", "0100000000008")]


@pytest.mark.parametrize("ssn", ["123-45-6789", "078-05-1120", "899-99-9999"])
def test_valid_ssns_are_national_ids(ssn: str) -> None:
    assert found(f"SSN {ssn}.") == [("national_id", ssn)]


@pytest.mark.parametrize(
    "ssn",
    ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000"],
)
def test_ssns_in_the_invalid_ranges_are_not_national_ids(ssn: str) -> None:
    # "000-12-3456" still reads as a national phone number (trunk 0), which is fine.
    assert "national_id" not in kinds(ssn)


@pytest.mark.parametrize("nino", ["AB123456C", "AB 12 34 56 C", "JG103759A"])
def test_uk_national_insurance_numbers_are_national_ids(nino: str) -> None:
    assert found(f"NI: {nino}") == [("national_id", nino)]


@pytest.mark.parametrize(
    "nino", ["QQ123456C", "DA123456A", "AO123456A", "GB123456C", "AB123456E", "ab123456c"]
)
def test_ni_numbers_with_excluded_letters_or_prefixes_are_not_found(nino: str) -> None:
    assert found(nino) == []


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "NO9386011117947",
        "FR14 2004 1010 0505 0001 3M02 606",
    ],
)
def test_ibans_with_a_valid_checksum_are_national_ids(iban: str) -> None:
    assert found(f"IBAN {iban} THANKS") == [("national_id", iban)]


@pytest.mark.parametrize(
    "text",
    [
        "DE88370400440532013000",  # checksum off by one
        "GB82 WEST 1234 5698 7654 33",
        "DE89 3704 0044 0532 0130 0",  # one character short for Germany
        "XX89370400440532013000",  # no such country
    ],
)
def test_ibans_failing_the_checks_are_not_found(text: str) -> None:
    assert "national_id" not in kinds(text)


def test_findings_are_in_order_and_redaction_names_each_kind() -> None:
    text = "Mail ana@example.org or call +44 20 7946 0958 from 10.0.0.7, score 0.85"
    findings = scan_text(text)
    assert [f.kind for f in findings] == ["email", "phone", "ip"]
    assert redact_text(text, findings) == (
        "Mail [redacted:email] or call [redacted:phone] from [redacted:ip], score 0.85"
    )


def test_redact_text_without_findings_returns_the_text() -> None:
    assert redact_text("nothing here", []) == "nothing here"


def test_redact_text_refuses_overlapping_findings() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        redact_text("abcdef", [Finding("email", 0, 4), Finding("phone", 2, 5)])


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "1 " * 500_000,
        "4111 " * 200_000,
        "AB12 " * 200_000,
        "ab12:" * 200_000,
        "a.b@c" * 200_000,
        "Great session, mail me at ana.lopez@example.org or call +44 20 7946 0958, "
        "score 0.85 at 2024-03-01T10:00:00Z from 10.0.0.7 with card 4111 1111 1111 1111. " * 6_000,
    ],
    ids=["letters", "digits", "card-groups", "iban-groups", "hex-colons", "at-signs", "prose"],
)
def test_a_megabyte_is_scanned_in_linear_time(text: str) -> None:
    # CPU time, not wall time: another process may be using the machine. Quadratic
    # backtracking would take minutes here, not seconds.
    start = time.process_time()
    scan_text(text)
    assert time.process_time() - start < 2.0


@given(st.text() | st.text(alphabet="0123456789 .-:+()@abcfAGBZ\n", max_size=300))
def test_scanning_any_text_gives_ordered_disjoint_findings_within_it(text: str) -> None:
    findings = scan_text(text)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))
    assert redact_text(text, findings).count("[redacted:") >= len(findings)


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "123e4567-e89b-12d3-a456-426614174000",
        "learner": "ana.lopez@example.org",
        "type": "lesson.completed",
        "timestamp": "2024-03-01T10:00:00Z",
        "activity": {"id": "course-1/lesson-2", "type": "lesson"},
        "result": {"score": 0.85, "response": "Call me on +44 20 7946 0958"},
        "context": {"course": "course-1", "comment": "mail ana@example.org"},
        "properties": {
            "notes": ["fine", "me: bob@example.com", "ssn 123-45-6789"],
            "device": {"ip": "192.168.1.20", "retries": 2, "ok": True, "none": None},
        },
    }
    return base | overrides


def test_the_default_policy_redacts_every_free_text_field() -> None:
    payload = event()
    outcome = scan_event(payload, DEFAULT_POLICY)
    redacted = outcome.redacted_payload
    assert outcome.rejected == []
    assert redacted["result"] == {"score": 0.85, "response": "Call me on [redacted:phone]"}
    assert redacted["properties"] == {
        "notes": ["fine", "me: [redacted:email]", "ssn [redacted:national_id]"],
        "device": {"ip": "[redacted:ip]", "retries": 2, "ok": True, "none": None},
    }
    assert redacted["context"] == {"course": "course-1", "comment": "mail [redacted:email]"}
    assert redacted["activity"] == payload["activity"]  # ids outside free text are not scanned
    assert outcome.counts == {"phone": 1, "email": 2, "national_id": 1, "ip": 1}


def test_the_learner_id_is_never_scanned_whatever_the_policy() -> None:
    outcome = scan_event(event(), PiiPolicy({}, default=Action.REJECT))
    assert outcome.redacted_payload["learner"] == "ana.lopez@example.org"
    assert all(v.path != "learner" for v in outcome.rejected)


def test_the_longest_prefix_decides_and_matches_whole_segments() -> None:
    policy = PiiPolicy(
        {
            "properties": Action.REDACT,
            "properties.notes": Action.REJECT,
            "properties.note": Action.REJECT,  # a prefix of "notes" as text, not as a path
            "properties.notes[2]": Action.REDACT,
        }
    )
    outcome = scan_event(event(), policy)
    assert outcome.rejected == [PiiViolation("properties.notes[1]", "email")]
    notes = outcome.redacted_payload["properties"]["notes"]
    assert notes == ["fine", "me: [redacted:email]", "ssn [redacted:national_id]"]
    assert outcome.redacted_payload["properties"]["device"]["ip"] == "[redacted:ip]"
    assert policy.action_for("properties.notes[12]") is Action.REJECT
    assert policy.action_for("properties_x") is None


def test_the_default_action_covers_every_other_string() -> None:
    outcome = scan_event(event(), PiiPolicy({"properties": Action.REDACT}, Action.REJECT))
    assert outcome.rejected == [
        PiiViolation("result.response", "phone"),
        PiiViolation("context.comment", "email"),
    ]
    # Ids, timestamps and types hold no personal data, so the default leaves them as they were.
    for key in ("event_id", "type", "timestamp", "activity"):
        assert outcome.redacted_payload[key] == event()[key]
    assert outcome.redacted_payload["context"]["comment"] == "mail [redacted:email]"


def test_a_rejected_path_and_kind_are_listed_once_but_counted_each_time() -> None:
    payload = event(result={"response": "a@example.org, b@example.org and +44 20 7946 0958"})
    outcome = scan_event(payload, PiiPolicy({"result.response": Action.REJECT}))
    assert outcome.rejected == [
        PiiViolation("result.response", "email"),
        PiiViolation("result.response", "phone"),
    ]
    assert outcome.counts == {"email": 2, "phone": 1}


def test_long_strings_are_scanned_to_their_end() -> None:
    note = "ok " * 10_000 + "ana@example.org"
    outcome = scan_event(event(properties={"note": note}), DEFAULT_POLICY)
    assert outcome.redacted_payload["properties"]["note"].endswith("ok [redacted:email]")


def test_the_input_is_never_mutated_and_a_clean_event_comes_back_equal() -> None:
    payload = event()
    before = copy.deepcopy(payload)
    scan_event(payload, PiiPolicy({}, Action.REDACT))
    assert payload == before

    clean = event(
        result={"response": "fine"}, context={}, properties={"notes": ["ok", {"deep": ["x"]}]}
    )
    outcome = scan_event(clean, PiiPolicy({}, Action.REDACT))
    assert outcome.redacted_payload == clean
    assert outcome.redacted_payload is not clean
    assert outcome.redacted_payload["properties"] is not clean["properties"]
    assert (outcome.rejected, outcome.counts) == ([], {})


def test_a_policy_is_parsed_from_plain_data() -> None:
    policy = parse_pii_policy(
        {"fields": {"properties": "reject", "result.response": "redact"}, "default": None}
    )
    assert policy == PiiPolicy({"properties": Action.REJECT, "result.response": Action.REDACT})
    assert parse_pii_policy({"default": "redact"}) == PiiPolicy({}, Action.REDACT)
    assert parse_pii_policy({"fields": {"properties.notes[2]": "reject"}}).fields == {
        "properties.notes[2]": Action.REJECT
    }


def errors_of(raw: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_pii_policy(raw)
    assert caught.value.detail == "the PII policy is not valid"
    return [(e.path, e.reason) for e in caught.value.errors]


def test_unknown_actions_are_reported_with_their_field() -> None:
    assert errors_of({"fields": {"properties": "drop"}, "default": 3}) == [
        ("fields.properties", "unknown action 'drop'; expected one of: reject, redact"),
        ("default", "unknown action 3; expected one of: reject, redact"),
    ]


@pytest.mark.parametrize(
    "path", ["", "properties.", ".properties", "a..b", "a[b]", "a[", "a b", "notes[-1]", 3]
)
def test_malformed_paths_are_reported(path: object) -> None:
    assert errors_of({"fields": {path: "redact"}}) == [
        ("fields", f"{path!r} is not a dotted field path such as 'properties' or 'result.response'")
    ]


@pytest.mark.parametrize("path", ["learner", "learner.id"])
def test_a_policy_may_not_name_the_learner_id(path: str) -> None:
    assert errors_of({"fields": {path: "reject"}}) == [
        ("fields", f"{path!r}: the learner id is pseudonymised, never scanned")
    ]


def test_a_malformed_policy_document_is_reported() -> None:
    assert errors_of(["properties"]) == [
        ("(policy)", "must be a mapping with 'fields' and 'default'")
    ]
    assert errors_of({"fields": ["properties"], "mode": "strict"}) == [
        ("mode", "unknown field"),
        ("fields", "must be a mapping of field paths to actions"),
    ]


def test_the_public_names_are_exported() -> None:
    assert all(hasattr(pii, name) for name in pii.__all__)


# Text made of what detectors look for: digits, separators, hex letters, colons, "@", dots.
_PII_ALPHABET = "0123456789 -.:()+@/abcdefABCDEFGHNZxyz_"


@given(st.text(alphabet=_PII_ALPHABET, max_size=60))
def test_the_shortcut_skips_only_text_no_detector_matches(text: str) -> None:
    assert scan_text(text) == scan_every_detector(text)


@pytest.mark.parametrize(
    "text",
    ["fe80::1ff:fe23:4567:890a", "fe80::abcd:ef", "ab::cd:ef", "2001:db8::8a2e:370:7334", "a@b.co"],
)
def test_the_shortcut_keeps_colon_and_at_text(text: str) -> None:
    assert scan_text(text) and scan_text(text) == scan_every_detector(text)


def test_text_of_a_str_subclass_is_scanned_too() -> None:
    class Text(str):
        pass

    payload = {"properties": {"note": Text("write to ana@example.com")}}
    outcome = scan_event(payload, DEFAULT_POLICY)
    assert outcome.counts == {"email": 1}
    assert "ana@example.com" not in outcome.redacted_payload["properties"]["note"]
