"""Stable identifiers derived from xAPI objects: learner ids from agents, keys for indexes."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

MAX_LEARNER_ID_LENGTH = 256
# Event ids of statements' events: UUIDv5 of the statement id in this namespace, so a resent
# statement maps to the same event and never collides with an event posted to /v1/events.
EVENT_NAMESPACE = uuid.UUID("6f1d3c1e-2b7a-5c9e-8f4d-0a7b3e9c2d51")


def agent_learner_id(agent: Any) -> str | None:
    """The learner id of an Agent or identified Group: its inverse functional identifier.

    `mbox:mailto:ana@example.com`, `mbox_sha1sum:<hex>`, `openid:<uri>` or
    `account:<homePage>|<name>`; never the display name. In the values, `%`, `/` and `|` are
    written `%25`, `%2F` and `%7C`, so the id is one segment of a URL path
    (/v1/learners/{id}/...). Ids longer than 256 characters become `sha256:<hex>` of that
    string. None for an anonymous group or a non-object.
    """
    if not isinstance(agent, dict):
        return None
    text: str | None = None
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        # The domain of an e-mail address is case-insensitive.
        local, at, domain = mbox.rpartition("@")
        text = f"mbox:{_escape(local + at + domain.lower() if at else mbox)}"
    elif isinstance(agent.get("mbox_sha1sum"), str):
        text = f"mbox_sha1sum:{_escape(agent['mbox_sha1sum'].lower())}"
    elif isinstance(agent.get("openid"), str):
        text = f"openid:{_escape(agent['openid'])}"
    elif isinstance(agent.get("account"), dict):
        account = agent["account"]
        home, name = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(name, str):
            text = f"account:{_escape(home)}|{_escape(name)}"
    if text is None:
        return None
    if len(text) > MAX_LEARNER_ID_LENGTH:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def agent_of_learner_id(learner_id: str) -> dict[str, Any] | None:
    """The Agent whose learner id is `learner_id` (the reverse of `agent_learner_id`); None
    for ids that name no xAPI identifier (a platform's own ids, hashed long ones)."""
    kind, colon, value = learner_id.partition(":")
    if not colon or not value:
        return None
    if kind in ("mbox", "mbox_sha1sum", "openid"):
        return {"objectType": "Agent", kind: _unescape(value)}
    if kind == "account":
        home, bar, name = value.partition("|")
        if bar and home and name:
            return {
                "objectType": "Agent",
                "account": {"homePage": _unescape(home), "name": _unescape(name)},
            }
    return None


def _unescape(value: str) -> str:
    return value.replace("%7C", "|").replace("%2F", "/").replace("%25", "%")


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace("/", "%2F").replace("|", "%7C")


def iri_key(iri: str) -> str:
    """A fixed-size index key for an IRI (verbs and activities can be long)."""
    return hashlib.sha256(iri.encode()).hexdigest()[:32]


def event_id_for(statement_id: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, statement_id.lower()))
