"""Sending a report run's output: a signed POST to a webhook, or a file in a directory.

The POST is signed like every Stride webhook (`Stride-Signature`, webhooks/signing.py) and
goes to the address the SSRF check resolved (webhooks/urls.py); redirects are not followed.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx

from stride.errors import InvalidInput
from stride.reports.definitions import allowed_directory
from stride.webhooks.delivery import MAX_ERROR_LENGTH, Outcome, post_signed
from stride.webhooks.urls import Resolver

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def post_report(
    client: httpx.Client,
    url: str,
    secret: str,
    body: bytes,
    headers: dict[str, str],
    sent_at: datetime,
    allow_private: bool,
    resolver: Resolver,
) -> Outcome:
    """POST the output to the checked address, signed like a webhook delivery."""
    return post_signed(client, url, secret, body, headers, sent_at, allow_private, resolver)


def output_name(report_name: str, scheduled_for: datetime, extension: str) -> str:
    """`weekly-summary-20261123T060000Z.pdf`: safe as a file name whatever the name holds."""
    slug = _UNSAFE.sub("-", report_name).strip("-.")[:100] or "report"
    stamp = scheduled_for.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{slug}-{stamp}.{extension}"


def write_report(
    directory: str, roots: Sequence[str], name: str, content: bytes
) -> tuple[str | None, Outcome]:
    """Write the file atomically (a temporary file renamed into place), readable by the
    operator only; the directory is checked against REPORT_DIRECTORIES again, since the
    operator may have narrowed them since the report was saved."""
    try:
        base = allowed_directory(directory, roots)
        os.makedirs(base, mode=0o700, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=base, prefix=".stride-", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            final = os.path.join(base, name)
            os.replace(temporary, final)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except InvalidInput as exc:
        return None, Outcome(error=f"refused: {exc.detail}"[:MAX_ERROR_LENGTH])
    except OSError as exc:
        return None, Outcome(error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])
    return final, Outcome(status_code=200)
