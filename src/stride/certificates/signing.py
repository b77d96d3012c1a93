"""VC-JWT signing and checking with a tenant's Ed25519 key (JWS compact, `alg: EdDSA`).

Keys are joserfc OKP JWKs; the JWS itself is made and checked with `cryptography` directly:
joserfc warns on every EdDSA use (RFC 9864 deprecates the polymorphic name in favour of
`Ed25519`), while Open Badges 3.0 and VC-JOSE verifiers in the field expect `EdDSA`. Only
`EdDSA` is accepted on verification, so a header rewritten to `none` or `HS256` fails.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey

ALGORITHM = "EdDSA"
TYPE = "JWT"  # OB 3.0's VC-JWT convention (the credential in the `vc` claim)


class MalformedToken(ValueError):
    """The text is not a compact JWS with JSON header and payload."""


class BadSignature(ValueError):
    """The signature does not match, or the header asks for another algorithm."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_jwk: dict[str, Any]
    public_jwk: dict[str, Any]  # with `kid`, `alg` and `use`, as the JWKS publishes it


@dataclass(frozen=True)
class DecodedToken:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def generate_key(tenant_id: str) -> SigningKey:
    """A new Ed25519 key; its kid is `<tenant id>:<RFC 7638 thumbprint>`, so the kid alone
    says which tenant to look in."""
    key = OKPKey.generate_key("Ed25519", private=True)
    kid = f"{tenant_id}:{key.thumbprint()}"
    public = {**key.as_dict(private=False), "kid": kid, "alg": ALGORITHM, "use": "sig"}
    return SigningKey(kid, dict(key.as_dict(private=True)), public)


def sign(claims: dict[str, Any], key: SigningKey) -> str:
    header = {"alg": ALGORITHM, "typ": TYPE, "kid": key.kid}
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode()
    private = Ed25519PrivateKey.from_private_bytes(_b64decode(key.private_jwk["d"]))
    return f"{signing_input.decode()}.{_b64(private.sign(signing_input))}"


def decode(token: str) -> DecodedToken:
    """Header and claims, unverified; raises MalformedToken."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise MalformedToken("a VC-JWT has three dot-separated parts")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error, RecursionError) as error:
        raise MalformedToken(f"not base64url-encoded JSON: {error}") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedToken("the header and payload must be JSON objects")
    return DecodedToken(header, claims, f"{parts[0]}.{parts[1]}".encode(), signature)


def check_signature(token: DecodedToken, public_jwk: dict[str, Any]) -> None:
    """Raises BadSignature unless `token` is signed with EdDSA by the key."""
    if token.header.get("alg") != ALGORITHM:
        raise BadSignature(f"the algorithm {token.header.get('alg')!r} is not accepted")
    try:
        public = Ed25519PublicKey.from_public_bytes(_b64decode(public_jwk["x"]))
        public.verify(token.signature, token.signing_input)
    except (InvalidSignature, ValueError, binascii.Error) as error:
        raise BadSignature("the signature does not match the issuer's key") from error


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64_json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _b64decode(text: str) -> bytes:
    if not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("base64url allows only letters, digits, '-' and '_'")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
