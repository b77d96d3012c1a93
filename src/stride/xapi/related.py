"""What a statement is found by with related_activities / related_agents (pure).

xAPI Communication 2.1.3, GET Statements: the `agent` filter matches the Actor or Object of a
statement; with related_agents=true also the Authority, the context's Instructor and Team, and
those properties (Actor, Object, Instructor, Team) in a contained SubStatement. An Agent or
Identified Group matches by its inverse functional identifier, and a Group matches an agent
that is one of its members. The `activity` filter matches the Object; with
related_activities=true also the context Activities (parent, grouping, category, other) and
the Object and context Activities of a contained SubStatement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stride.xapi.identifiers import agent_learner_id

CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


@dataclass(frozen=True)
class Related:
    """The identifiers a statement is indexed under for GET /xapi/statements.

    `agents` maps each learner id (stride.xapi.identifiers.agent_learner_id) to True when the
    plain `agent` filter matches it (the actor or object, or a member of that group), False
    when only related_agents=true does. `activities` are the IRIs related_activities=true
    matches (the plain filter has its own column: the object's id).
    """

    agents: dict[str, bool]
    activities: frozenset[str]


def _agent_ids(agent: Any) -> Iterator[str]:
    """The learner ids an Agent or Group matches: its own identifier (not for an anonymous
    group) and those of a group's members."""
    if not isinstance(agent, dict):
        return
    own = agent_learner_id(agent)
    if own is not None:
        yield own
    members = agent.get("member") if agent.get("objectType") == "Group" else None
    if isinstance(members, list):
        for member in members:
            member_id = agent_learner_id(member)
            if member_id is not None:
                yield member_id


def _object_agent(target: Any) -> Any:
    # An object without objectType is an Activity; only Agent/Group objects name agents.
    if isinstance(target, dict) and target.get("objectType") in ("Agent", "Group"):
        return target
    return None


def _context_agents(context: Any) -> list[Any]:
    if not isinstance(context, dict):
        return []
    return [context.get("instructor"), context.get("team")]


def _context_activities(context: Any) -> Iterator[str]:
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(activities, dict):
        return
    for kind in CONTEXT_ACTIVITY_KINDS:
        found = activities.get(kind)
        # xAPI 1.0.x allowed a single Activity where 1.0.3 and 2.0 write an array.
        for activity in found if isinstance(found, list) else [found]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                yield activity["id"]


def _object_activity(target: Any) -> str | None:
    if isinstance(target, dict) and target.get("objectType", "Activity") == "Activity":
        activity_id = target.get("id")
        return activity_id if isinstance(activity_id, str) else None
    return None


def related_of(statement: dict[str, Any]) -> Related:
    """The agents and activities `statement` (as stored, authority included) is related to."""
    target = statement.get("object")
    sub = target if isinstance(target, dict) and target.get("objectType") == "SubStatement" else {}
    direct = [statement.get("actor"), _object_agent(target)]
    broad = [
        statement.get("authority"),
        *_context_agents(statement.get("context")),
        sub.get("actor"),
        _object_agent(sub.get("object")),
        *_context_agents(sub.get("context")),
    ]
    agents: dict[str, bool] = {}
    for agent in broad:
        agents.update(dict.fromkeys(_agent_ids(agent), False))
    for agent in direct:  # after: an agent both actor and instructor is a direct match
        agents.update(dict.fromkeys(_agent_ids(agent), True))
    activities = {
        *_context_activities(statement.get("context")),
        *_context_activities(sub.get("context")),
    }
    for activity in (_object_activity(target), _object_activity(sub.get("object"))):
        if activity is not None:
            activities.add(activity)
    return Related(agents, frozenset(activities))
