"""Delivery signatures: HMAC-SHA256 over "<t>.<body>", verified in constant time."""

from __future__ import annotations

import hashlib
import hmac

from stride.webhooks.signing import new_secret, sign, signature_header, verify

BODY = b'{"id":"d1","event":{"type":"skill.acquired"}}'


def test_the_header_is_t_and_v1_over_timestamp_dot_body() -> None:
    header = signature_header("whsec_test", 1_700_000_000, BODY)
    expected = hmac.new(b"whsec_test", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert sign("whsec_test", 1_700_000_000, BODY) == expected


def test_verify_accepts_a_fresh_signature() -> None:
    secret = new_secret()
    header = signature_header(secret, 1000, BODY)
    assert verify(secret, header, BODY, now=1100)


def test_verify_refuses_tampering_other_secrets_stale_and_garbage() -> None:
    secret = new_secret()
    header = signature_header(secret, 1000, BODY)
    assert not verify(secret, header, BODY + b" ", now=1000)
    assert not verify(new_secret(), header, BODY, now=1000)
    assert not verify(secret, header, BODY, now=1000 + 301)
    assert not verify(secret, "garbage", BODY, now=1000)
    assert not verify(secret, "t=abc,v1=00", BODY, now=1000)


def test_secrets_are_fresh_and_long() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and first.startswith("whsec_") and len(first) > 40
