"""A VC-JWT survives only untouched: payload, signature and header tampering all fail."""

from __future__ import annotations

import base64
import json

import pytest

from stride.certificates.signing import (
    BadSignature,
    MalformedToken,
    check_signature,
    decode,
    generate_key,
    sign,
)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_signed_token_verifies_with_its_key_and_names_its_kid() -> None:
    key = generate_key("tenant-1")
    token = decode(sign({"iss": "x", "vc": {"a": 1}}, key))
    assert token.header == {"alg": "EdDSA", "typ": "JWT", "kid": key.kid}
    assert key.kid.startswith("tenant-1:")
    check_signature(token, key.public_jwk)
    assert "d" not in key.public_jwk and key.public_jwk["crv"] == "Ed25519"


@pytest.mark.parametrize(
    "tamper",
    [
        "payload_byte",
        "signature_swapped",
        "alg_none",
        "alg_hs256",
        "other_key",
    ],
)
def test_tampered_tokens_fail(tamper: str) -> None:
    key, other = generate_key("t"), generate_key("t")
    token = sign({"iss": "x", "vc": {"name": "Certified"}}, key)
    header, payload, signature = token.split(".")
    if tamper == "payload_byte":
        raw = bytearray(base64.urlsafe_b64decode(payload + "=="))
        raw[raw.index(b"C")] ^= 0x20  # "Certified" -> "certified"
        payload = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    elif tamper == "signature_swapped":
        signature = sign({"iss": "x", "vc": {"name": "Other"}}, key).split(".")[2]
    elif tamper in ("alg_none", "alg_hs256"):
        alg = "none" if tamper == "alg_none" else "HS256"
        header = _b64({"alg": alg, "typ": "JWT", "kid": key.kid})
    else:
        signature = sign({"iss": "x", "vc": {"name": "Certified"}}, other).split(".")[2]
    with pytest.raises(BadSignature):
        check_signature(decode(f"{header}.{payload}.{signature}"), key.public_jwk)


@pytest.mark.parametrize("text", ["", "a.b", "a.b.c", "!!.??.**", "e30.W10.AA"])
def test_malformed_tokens_are_told_apart(text: str) -> None:
    with pytest.raises(MalformedToken):
        decode(text)
