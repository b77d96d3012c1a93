"""Bitstring Status List v1.0: one bit per credential, set when it is revoked. Pure.

Index 0 is the left-most bit of the first byte. The published `encodedList` is the Multibase
base64url form (prefix `u`, no padding) of the GZIP-compressed bitstring. Lists hold the
spec's minimum of 131,072 entries (16 KiB), so a list does not tell who is in it.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

LIST_SIZE = 131_072
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def empty_list() -> bytes:
    return bytes(LIST_SIZE // 8)


def is_set(bits: bytes, index: int) -> bool:
    """Whether the entry is set; an index past the list raises IndexError."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytes, index: int) -> bytes:
    """The list with entry `index` set (it stays set: revocation is final)."""
    changed = bytearray(bits)
    changed[index // 8] |= 0x80 >> (index % 8)
    return bytes(changed)


def encode_list(bits: bytes) -> str:
    # mtime=0: the same bits always encode the same way.
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    """The bitstring of an `encodedList`; raises ValueError when it is not one."""
    if not encoded.startswith("u"):
        raise ValueError("an encodedList is Multibase base64url, starting with 'u'")
    text = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (OSError, EOFError, ValueError) as error:
        raise ValueError(f"not a GZIP-compressed bitstring: {error}") from error


def status_list_credential(
    list_url: str, issuer_id: str, bits: bytes, valid_from: str
) -> dict[str, Any]:
    """The BitstringStatusListCredential a status entry's `statusListCredential` points to."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bits),
        },
    }
