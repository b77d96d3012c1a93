"""Signed statements (xAPI Data 2.6): check the JWS of a signature attachment (pure).

A signature attachment has the usageType below and the contentType application/octet-stream;
its content is a JWS in compact serialization whose payload is the statement as it was before
the signature was added. The LRS refuses (400) a signature that is malformed: not a compact
JWS, an algorithm other than RS256/RS384/RS512, a payload that is not a JSON object or not
logically equivalent to the statement, or, when the JWS header carries an X.509 chain (`x5c`),
a signature that the first certificate's key does not verify or a chain whose certificates
do not sign each other. As the specification notes, this catches mistakes; it does not
authenticate the signer (no certificate is trusted, none is checked for expiry).
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from stride.errors import FieldError
from stride.xapi.comparison import comparison_form

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
# Set or changed by the LRS: never a difference. The others only when the signed copy has them.
_ALWAYS_IGNORED = ("authority", "stored")
_IGNORED_WHEN_ABSENT = ("id", "timestamp", "version")


class SignatureError(ValueError):
    """Why a signature is malformed (the text ends up in the 400 answer)."""


def is_signature(attachment: Any) -> bool:
    return isinstance(attachment, dict) and attachment.get("usageType") == SIGNATURE_USAGE


def _b64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise SignatureError("is not a JWS: a segment is not base64url") from None


def _certificates(header: dict[str, Any]) -> list[x509.Certificate]:
    chain = header.get("x5c")
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise SignatureError("has an x5c header that is not a list of base64 certificates")
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in chain]
    except (binascii.Error, ValueError):
        raise SignatureError("has an x5c certificate that cannot be read") from None


def _verify(header: dict[str, Any], signed: bytes, signature: bytes, algorithm: str) -> None:
    chain = _certificates(header)
    key = chain[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("has an x5c certificate whose key is not an RSA key")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), _HASHES[algorithm]())
    except InvalidSignature:
        raise SignatureError("does not verify with the key of its x5c certificate") from None
    for child, issuer in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise SignatureError(
                "has an x5c chain whose certificates do not sign each other"
            ) from None


def _without_signatures(statement: dict[str, Any]) -> dict[str, Any]:
    copy = dict(statement)
    kept = [a for a in copy.pop("attachments", None) or [] if not is_signature(a)]
    if kept:
        copy["attachments"] = kept
    return copy


def _equivalent(signed: dict[str, Any], received: dict[str, Any]) -> bool:
    original = _without_signatures(signed)
    stored = _without_signatures(received)
    for key in _ALWAYS_IGNORED:
        original.pop(key, None)
        stored.pop(key, None)
    for key in _IGNORED_WHEN_ABSENT:
        if key not in original:
            stored.pop(key, None)
    if original.get("version", stored.get("version")) != stored.get("version"):
        return False
    return comparison_form(original) == comparison_form(stored)


def check_jws(token: bytes, statement: dict[str, Any]) -> None:
    """Raise SignatureError unless `token` is a well-formed signature of `statement`."""
    try:
        text = token.decode("ascii").strip()
    except UnicodeDecodeError:
        raise SignatureError("is not a JWS in compact serialization") from None
    segments = text.split(".")
    if len(segments) != 3 or not all(segments):
        raise SignatureError("is not a JWS in compact serialization (header.payload.signature)")
    try:
        header = orjson.loads(_b64url(segments[0]))
    except orjson.JSONDecodeError:
        raise SignatureError("has a JWS header that is not JSON") from None
    if not isinstance(header, dict):
        raise SignatureError("has a JWS header that is not a JSON object")
    algorithm = header.get("alg")
    if algorithm not in _HASHES:
        raise SignatureError(
            f"uses the algorithm {str(algorithm)[:20]!r}: use RS256, RS384 or RS512"
        )
    try:
        payload = orjson.loads(_b64url(segments[1]))
    except orjson.JSONDecodeError:
        raise SignatureError(
            "has a payload that is not a JSON serialization of a statement"
        ) from None
    if not isinstance(payload, dict):
        raise SignatureError("has a payload that is not a statement (a JSON object)")
    if "x5c" in header:
        signed = f"{segments[0]}.{segments[1]}".encode("ascii")
        _verify(header, signed, _b64url(segments[2]), str(algorithm))
    if not _equivalent(payload, statement):
        raise SignatureError("has a payload that differs from the statement sent")


def signature_errors(statements: list[Any], contents: Mapping[str, bytes]) -> list[FieldError]:
    """Problems of the signature attachments of a (valid) batch; `contents` maps the lowered
    sha2 of each attachment part to its octets."""
    errors: list[FieldError] = []
    for index, statement in enumerate(statements):
        for number, attachment in enumerate(statement.get("attachments") or []):
            if not is_signature(attachment):
                continue
            where = f"[{index}].attachments[{number}]"
            media = attachment["contentType"].split(";", 1)[0].strip().lower()
            if media != SIGNATURE_CONTENT_TYPE:
                reason = f"a signature's contentType must be {SIGNATURE_CONTENT_TYPE}"
                errors.append(FieldError(f"{where}.contentType", reason))
                continue
            token = contents.get(attachment["sha2"].lower())
            if token is None:
                reason = "a signature must be sent as a part of a multipart/mixed request"
                errors.append(FieldError(where, reason))
                continue
            try:
                check_jws(token, statement)
            except SignatureError as exc:
                errors.append(FieldError(where, f"the signature {exc}"))
    return errors
