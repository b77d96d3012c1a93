"""Statement attachments (xAPI Communication 1.5.2): multipart/mixed requests and answers.

A statement request is application/json, where every attachment needs a `fileUrl`, or
multipart/mixed: first the statements (application/json), then one part per attachment
content, named by the SHA-2 of its octets in `X-Experience-API-Hash` and sent as binary.
Stored contents are encrypted with a key derived from the tenant's secret and kept per
statement (table xapi_attachments), so erasing a statement's learner erases them too.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import orjson
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine

from stride.errors import FieldError
from stride.store import xapi_attachments as repo
from stride.xapi.errors import InvalidStatement
from stride.xapi.multipart import boundary_of, media_type, parse_multipart, render_multipart
from stride.xapi.signatures import signature_errors

HASH_HEADER = "X-Experience-API-Hash"
_DIGESTS = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}  # hex length -> SHA-2
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_LINE_BREAK = re.compile(r"[\r\n]")
_INFO = b"stride xapi attachments v1"
Contents = dict[str, bytes]  # lowered sha2 -> octets


def _bad(path: str, reason: str) -> InvalidStatement:
    return InvalidStatement(
        "The attachments of the request are not valid.", [FieldError(path, reason)]
    )


# --- requests -------------------------------------------------------------------------------


def _checked_hash(headers: Mapping[str, str], body: bytes, where: str) -> str:
    sha2 = headers.get(HASH_HEADER.lower(), "")
    if not _HEX.match(sha2) or len(sha2) not in _DIGESTS:
        raise _bad(f"{where}.{HASH_HEADER}", "is required: the hex SHA-2 of the part's content")
    encoding = headers.get("content-transfer-encoding")
    if encoding is not None and encoding.lower() != "binary":
        raise _bad(f"{where}.Content-Transfer-Encoding", "must be binary")
    if hashlib.new(_DIGESTS[len(sha2)], body).hexdigest() != sha2.lower():
        raise _bad(f"{where}.{HASH_HEADER}", "is not the SHA-2 of the part's content")
    return sha2.lower()


def read_multipart(content_type: str, body: bytes, max_parts: int) -> tuple[Any, Contents]:
    """The statements (JSON of the first part) and the attachment contents by sha2."""
    first, *rest = parse_multipart(body, boundary_of(content_type), max_parts)
    if media_type(first.headers.get("content-type", "")) != "application/json":
        raise _bad("(part 1).Content-Type", "the statements part must be application/json")
    try:
        statements = orjson.loads(first.body)
    except orjson.JSONDecodeError as exc:
        raise _bad("(part 1)", f"is not valid JSON: {exc}") from None
    contents: Contents = {}
    for number, part in enumerate(rest, start=2):
        contents[_checked_hash(part.headers, part.body, f"(part {number})")] = part.body
    return statements, contents


def _declared(statement: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, attachment) of a statement and of its sub-statement."""
    holders = [("", statement)]
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        holders.append(("object.", target))
    for prefix, holder in holders:
        found = holder.get("attachments")
        for number, attachment in enumerate(found if isinstance(found, list) else []):
            if isinstance(attachment, dict) and isinstance(attachment.get("sha2"), str):
                yield f"{prefix}attachments[{number}]", attachment


def request_errors(
    statements: list[Any], errors: list[FieldError], contents: Contents | None
) -> list[FieldError]:
    """The statement errors plus those of attachments; `contents` is None for a JSON request.

    Every attachment without a fileUrl needs a part with its sha2, every part an attachment;
    signatures are checked on batches that are valid otherwise."""
    errors = list(errors)
    declared: set[str] = set()
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            continue
        for path, attachment in _declared(statement):
            sha2 = attachment["sha2"].lower()
            declared.add(sha2)
            if "fileUrl" in attachment or (contents is not None and sha2 in contents):
                continue
            reason = (
                "is required unless the content is sent as a part of a multipart/mixed request"
                if contents is None
                else "is required: no part of the request has this attachment's sha2"
            )
            errors.append(FieldError(f"[{index}].{path}.fileUrl", reason))
    for sha2 in sorted(set(contents or ()) - declared):
        errors.append(FieldError(f"({HASH_HEADER} {sha2})", "matches no attachment's sha2"))
    if errors:
        return errors
    return signature_errors(statements, contents or {})


# --- storage --------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _box(tenant_secret: str) -> Fernet:
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        bytes.fromhex(tenant_secret)
    )
    return Fernet(base64.urlsafe_b64encode(material))


def store_attachments(
    connection: Connection,
    tenant_secret: str,
    stored: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    contents: Contents | None,
) -> None:
    """Keep the contents sent for the attachments of newly stored statements, given as
    (statement row, statement document) pairs."""
    if not contents:
        return
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row, document in stored:
        for _, attachment in _declared(document):
            sha2 = attachment["sha2"].lower()
            if sha2 in contents:
                rows[(row["statement_id"], sha2)] = {
                    "tenant_id": row["tenant_id"],
                    "statement_id": row["statement_id"],
                    "sha2": sha2,
                    "learner_key": row["learner_key"],
                    "content_type": _LINE_BREAK.sub(" ", attachment["contentType"])[:255],
                    "content": _box(tenant_secret).encrypt(contents[sha2]).decode(),
                }
    repo.insert_attachments(connection, list(rows.values()))


# --- answers --------------------------------------------------------------------------------


def multipart_answer(
    engine: Engine, tenant_id: str, tenant_secret: str, body: bytes, documents: Sequence[bytes]
) -> tuple[bytes, str]:
    """(body, Content-Type) of a GET with attachments=true: the JSON answer, then the content
    of every attachment of `documents` (each once)."""
    ids = [str(orjson.loads(document).get("id", "")) for document in documents]
    with engine.connect() as connection:
        stored = repo.attachments_of(connection, tenant_id, [i for i in ids if i])
    parts: list[tuple[Mapping[str, str], bytes]] = [({"Content-Type": "application/json"}, body)]
    seen: set[str] = set()
    for attachment in stored:
        if attachment.sha2 in seen:
            continue
        seen.add(attachment.sha2)
        headers = {
            "Content-Type": attachment.content_type,
            "Content-Transfer-Encoding": "binary",
            HASH_HEADER: attachment.sha2,
        }
        parts.append((headers, _box(tenant_secret).decrypt(attachment.sealed.encode())))
    return render_multipart(parts)
