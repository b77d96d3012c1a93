"""The Person object of GET /xapi/agents (pure): every identifier known for one person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_PROPERTIES = ("name", "mbox", "mbox_sha1sum", "openid", "account")


def person_of(agents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The Person combining `agents`: the agent asked for first, then any linked to it.

    Each property is an array of the agents' values, without repeats, in the agents' order;
    properties no agent has are left out (they are optional in xAPI).
    """
    person: dict[str, Any] = {"objectType": "Person"}
    for name in _PROPERTIES:
        values: list[Any] = []
        for agent in agents:
            value = agent.get(name)
            if value is not None and value not in values:
                values.append(value)
        if values:
            person[name] = values
    return person
