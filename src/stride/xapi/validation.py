"""Statement validation per xAPI 1.0.3 and 2.0 (IEEE 9274.1.1): every problem with its path.

Pure. `statement_errors` returns FieldErrors ("actor.mbox: must be a mailto: IRI"); the LRS
answers 400 Bad Request with them. Differences between the versions: 2.0 requires a time
zone in timestamps and knows `context.contextAgents` and `context.contextGroups`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from stride.errors import FieldError

V1 = "1.0.3"
V2 = "2.0.0"
SUPPORTED_VERSIONS = (V1, V2)

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^[0-9a-fA-F]{56,128}$")
# RFC 5646: a primary language of 2-3 letters (ISO 639) or 5-8 (registered), or a private-use
# ("x-") or grandfathered ("i-") tag; one of 4 letters is reserved, and so not a valid tag.
_LANGUAGE_TAG = re.compile(r"^(?:[A-Za-z]{2,3}|[A-Za-z]{5,8}|[xXiI](?=-))(?:-[A-Za-z0-9]{1,8})*$")
# RFC 6838: type "/" subtype, each a restricted token, then any parameters.
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(?:\s*;.*)?$")
# 2.0 takes RFC 3339's space between date and time too; 1.0.3 (ISO 8601) only "T".
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?P<separator>[T ])\d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)
# ISO 8601: weeks stand alone (P4W); other units combine (P1Y2M3DT4H5M6.7S).
_DURATION = re.compile(
    r"^P(?:\d+(?:\.\d+)?W|(?=\d|T\d)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$"
)
_VERSION = {V1: re.compile(r"^1\.0(?:\.\d+)?$"), V2: re.compile(r"^(?:1\.0(?:\.\d+)?|2\.0\.\d+)$")}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
INTERACTION_TYPES = frozenset(
    {
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    }
)
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")

Errors = list[FieldError]


class _Checker:
    def __init__(self, version: str) -> None:
        self.version = version
        self.errors: Errors = []

    def fail(self, path: str, reason: str) -> None:
        self.errors.append(FieldError(path or "(statement)", reason))

    # --- shapes -------------------------------------------------------------------------

    def obj(self, value: Any, path: str, allowed: set[str], required: tuple[str, ...] = ()) -> bool:
        if not isinstance(value, dict):
            self.fail(path, "must be a JSON object")
            return False
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in allowed:
                self.fail(where, "is not a property of this object in xAPI " + self.version)
            elif item is None:
                self.fail(where, "must not be null")
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}" if path else key, "is required")
        return True

    def string(self, value: Any, path: str) -> bool:
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return False
        return True

    def iri(self, value: Any, path: str) -> None:
        if self.string(value, path) and not _IRI.match(value):
            self.fail(path, "must be an absolute IRI such as http://example.com/verbs/x")

    def uuid(self, value: Any, path: str) -> None:
        if self.string(value, path) and not UUID.match(value):
            self.fail(path, "must be a UUID in its 8-4-4-4-12 hex form")

    def boolean(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")

    def number(self, value: Any, path: str) -> bool:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            self.fail(path, "must be a number")
            return False
        return True

    def language_map(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be a language map (an object of language tag -> string)")
            return
        if not value:
            self.fail(path, "a language map must hold at least one language tag")
        for tag, text in value.items():
            if not _LANGUAGE_TAG.match(tag):
                self.fail(f"{path}.{tag}", "is not an RFC 5646 language tag")
            elif not isinstance(text, str):
                self.fail(f"{path}.{tag}", "must be a string")

    def extensions(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be an object whose keys are IRIs")
            return
        for key in value:
            if not _IRI.match(key):
                self.fail(f"{path}.{key}", "an extension's key must be an IRI")

    def timestamp(self, value: Any, path: str) -> None:
        if not self.string(value, path):
            return
        match = _TIMESTAMP.match(value)
        if match is None:
            self.fail(path, "must be an ISO 8601 date-time such as 2024-05-01T09:30:00Z")
            return
        zone = match.group("zone")
        if match.group("separator") == " " and self.version != V2:
            self.fail(path, "must separate date and time with T (xAPI 1.0.3)")
        elif zone is None and self.version == V2:
            self.fail(path, "must include a time zone offset (xAPI 2.0)")
        elif zone is not None and zone.startswith("-") and set(zone[1:]) <= {"0", ":"}:
            self.fail(path, "must not use the offset -00:00 (RFC 3339 unknown local offset)")

    # --- actors -------------------------------------------------------------------------

    def agent(self, value: Any, path: str, object_type_required: bool = False) -> None:
        allowed = {"objectType", "name", *_IFIS}
        if not self.obj(value, path, allowed):
            return
        if "objectType" in value and value["objectType"] != "Agent":
            self.fail(f"{path}.objectType", "must be Agent")
        elif object_type_required and "objectType" not in value:
            self.fail(f"{path}.objectType", "is required here")
        if "name" in value:
            self.string(value["name"], f"{path}.name")
        self.ifis(value, path, required=True)

    def group(self, value: Any, path: str) -> None:
        if not self.obj(value, path, {"objectType", "name", "member", *_IFIS}, ("objectType",)):
            return
        if value.get("objectType", "Group") != "Group":
            self.fail(f"{path}.objectType", "must be Group")
        if "name" in value:
            self.string(value["name"], f"{path}.name")
        identified = self.ifis(value, path, required=False)
        members = value.get("member")
        if not identified and members is None:
            self.fail(f"{path}.member", "an anonymous group must list its members")
        if members is not None:
            if not isinstance(members, list):
                self.fail(f"{path}.member", "must be an array of agents")
            else:
                if not identified and not members:
                    self.fail(f"{path}.member", "an anonymous group must list its members")
                for index, member in enumerate(members):
                    where = f"{path}.member[{index}]"
                    if isinstance(member, dict) and member.get("objectType") == "Group":
                        self.fail(f"{where}.objectType", "a group's members must be agents")
                    else:
                        self.agent(member, where)

    def actor(self, value: Any, path: str, object_type_required: bool = False) -> None:
        if isinstance(value, dict) and value.get("objectType") == "Group":
            self.group(value, path)
        else:
            self.agent(value, path, object_type_required)

    def ifis(self, value: dict[str, Any], path: str, required: bool) -> bool:
        present = [key for key in _IFIS if key in value]
        if len(present) > 1:
            self.fail(path, "must have exactly one inverse functional identifier, not several")
        elif required and not present:
            self.fail(path, "needs one of mbox, mbox_sha1sum, openid or account")
        for key in present:
            item, where = value[key], f"{path}.{key}"
            if key == "mbox":
                if self.string(item, where) and not _MBOX.match(item):
                    self.fail(where, "must be a mailto: IRI such as mailto:ana@example.com")
            elif key == "mbox_sha1sum":
                if self.string(item, where) and not _SHA1.match(item):
                    self.fail(where, "must be a hex SHA-1 (40 characters)")
            elif key == "openid":
                self.iri(item, where)
            elif self.obj(item, where, {"homePage", "name"}, ("homePage", "name")):
                if "homePage" in item:
                    self.iri(item["homePage"], f"{where}.homePage")
                if "name" in item:
                    self.string(item["name"], f"{where}.name")
        return bool(present)

    # --- verb, object -------------------------------------------------------------------

    def verb(self, value: Any, path: str) -> None:
        if not self.obj(value, path, {"id", "display"}, ("id",)):
            return
        if "id" in value:
            self.iri(value["id"], f"{path}.id")
        if "display" in value:
            self.language_map(value["display"], f"{path}.display")

    def activity(self, value: Any, path: str) -> None:
        if not self.obj(value, path, {"objectType", "id", "definition"}, ("id",)):
            return
        if value.get("objectType", "Activity") != "Activity":
            self.fail(f"{path}.objectType", "must be Activity")
        if "id" in value:
            self.iri(value["id"], f"{path}.id")
        if "definition" in value:
            self.definition(value["definition"], f"{path}.definition")

    def definition(self, value: Any, path: str) -> None:
        allowed = {
            "name",
            "description",
            "type",
            "moreInfo",
            "extensions",
            "interactionType",
            "correctResponsesPattern",
            *_COMPONENT_LISTS,
        }
        if not self.obj(value, path, allowed):
            return
        if not value:
            self.fail(path, "an activity definition must hold at least one property")
        for key in ("name", "description"):
            if key in value:
                self.language_map(value[key], f"{path}.{key}")
        for key in ("type", "moreInfo"):
            if key in value:
                self.iri(value[key], f"{path}.{key}")
        if "extensions" in value:
            self.extensions(value["extensions"], f"{path}.extensions")
        kind = value.get("interactionType")
        if kind is not None and kind not in INTERACTION_TYPES:
            self.fail(f"{path}.interactionType", "is not an xAPI interaction type")
        pattern = value.get("correctResponsesPattern")
        if pattern is not None and (
            not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern)
        ):
            self.fail(f"{path}.correctResponsesPattern", "must be an array of strings")
        if pattern is not None and kind is None:
            self.fail(f"{path}.correctResponsesPattern", "needs an interactionType")
        for key in _COMPONENT_LISTS:
            if key in value:
                if kind is None:
                    self.fail(f"{path}.{key}", "needs an interactionType")
                self.components(value[key], f"{path}.{key}")

    def components(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, "must be an array of interaction components")
            return
        seen: set[str] = set()
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if self.obj(item, where, {"id", "description"}, ("id",)):
                if self.string(item.get("id"), f"{where}.id"):
                    if item["id"] in seen:
                        self.fail(f"{where}.id", "ids of interaction components must be unique")
                    seen.add(item["id"])
                if "description" in item:
                    self.language_map(item["description"], f"{where}.description")

    def target(self, value: Any, path: str, sub: bool) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be a JSON object")
            return
        kind = value.get("objectType", "Activity")
        if kind == "Activity":
            self.activity(value, path)
        elif kind == "Agent":
            self.agent(value, path, object_type_required=True)
        elif kind == "Group":
            self.group(value, path)
        elif kind == "StatementRef":
            self.statement_ref(value, path)
        elif kind == "SubStatement" and not sub:
            self.sub_statement(value, path)
        elif kind == "SubStatement":
            self.fail(f"{path}.objectType", "a SubStatement cannot hold another SubStatement")
        else:
            self.fail(f"{path}.objectType", "is not an xAPI object type")

    def statement_ref(self, value: Any, path: str) -> None:
        if self.obj(value, path, {"objectType", "id"}, ("objectType", "id")) and "id" in value:
            self.uuid(value["id"], f"{path}.id")

    def sub_statement(self, value: dict[str, Any], path: str) -> None:
        allowed = {"objectType", "actor", "verb", "object", "result", "context", "timestamp"}
        if "attachments" in value:
            allowed.add("attachments")
        if not self.obj(value, path, allowed, ("actor", "verb", "object")):
            return
        self.body(value, path, sub=True)

    # --- result, context ----------------------------------------------------------------

    def result(self, value: Any, path: str) -> None:
        allowed = {"score", "success", "completion", "response", "duration", "extensions"}
        if not self.obj(value, path, allowed):
            return
        for key in ("success", "completion"):
            if key in value:
                self.boolean(value[key], f"{path}.{key}")
        if "response" in value:
            self.string(value["response"], f"{path}.response")
        if "duration" in value:
            duration = value["duration"]
            if self.string(duration, f"{path}.duration") and not _DURATION.match(duration):
                self.fail(f"{path}.duration", "must be an ISO 8601 duration such as PT1M30S")
        if "extensions" in value:
            self.extensions(value["extensions"], f"{path}.extensions")
        if "score" in value:
            self.score(value["score"], f"{path}.score")

    def score(self, value: Any, path: str) -> None:
        if not self.obj(value, path, {"scaled", "raw", "min", "max"}):
            return
        numbers = {k: value[k] for k in ("scaled", "raw", "min", "max") if k in value}
        ok = {k: v for k, v in numbers.items() if self.number(v, f"{path}.{k}")}
        if "scaled" in ok and not -1 <= ok["scaled"] <= 1:
            self.fail(f"{path}.scaled", "must be between -1 and 1")
        if "min" in ok and "max" in ok and ok["min"] >= ok["max"]:
            self.fail(f"{path}.min", "must be less than max")
        if "raw" in ok and "min" in ok and ok["raw"] < ok["min"]:
            self.fail(f"{path}.raw", "must not be less than min")
        if "raw" in ok and "max" in ok and ok["raw"] > ok["max"]:
            self.fail(f"{path}.raw", "must not be more than max")

    def context(self, value: Any, path: str, object_is_activity: bool) -> None:
        allowed = {
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        }
        if self.version == V2:
            allowed |= {"contextAgents", "contextGroups"}
        if not self.obj(value, path, allowed):
            return
        if "registration" in value:
            self.uuid(value["registration"], f"{path}.registration")
        if "instructor" in value:
            self.actor(value["instructor"], f"{path}.instructor")
        if "team" in value:
            team = value["team"]
            if isinstance(team, dict) and team.get("objectType") != "Group":
                self.fail(f"{path}.team.objectType", "a team must be a Group")
            else:
                self.group(team, f"{path}.team")
        for key in ("revision", "platform"):
            if key in value and self.string(value[key], f"{path}.{key}") and not object_is_activity:
                self.fail(f"{path}.{key}", "is allowed only when the object is an Activity")
        if "language" in value:
            language = value["language"]
            if self.string(language, f"{path}.language") and not _LANGUAGE_TAG.match(language):
                self.fail(f"{path}.language", "is not an RFC 5646 language tag")
        if "statement" in value:
            self.statement_ref(value["statement"], f"{path}.statement")
            reference = value["statement"]
            if isinstance(reference, dict) and reference.get("objectType") != "StatementRef":
                self.fail(f"{path}.statement.objectType", "must be StatementRef")
        if "extensions" in value:
            self.extensions(value["extensions"], f"{path}.extensions")
        if "contextActivities" in value:
            self.context_activities(value["contextActivities"], f"{path}.contextActivities")
        for key, inner, kind in (
            ("contextAgents", "agent", "contextAgent"),
            ("contextGroups", "group", "contextGroup"),
        ):
            if key in value:
                self.context_members(value[key], f"{path}.{key}", inner, kind)

    def context_activities(self, value: Any, path: str) -> None:
        if not self.obj(value, path, {"parent", "grouping", "category", "other"}):
            return
        if not value:
            self.fail(path, "must hold at least one of parent, grouping, category or other")
        for key, item in value.items():
            if isinstance(item, list):
                for index, activity in enumerate(item):
                    self.activity(activity, f"{path}.{key}[{index}]")
            elif item is not None:
                self.activity(item, f"{path}.{key}")

    def context_members(self, value: Any, path: str, inner: str, kind: str) -> None:
        if not isinstance(value, list):
            self.fail(path, "must be an array")
            return
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            allowed = {"objectType", inner, "relevantTypes"}
            if not self.obj(item, where, allowed, ("objectType", inner)):
                continue
            if item.get("objectType") != kind:
                self.fail(f"{where}.objectType", f"must be {kind}")
            if inner in item:
                if inner == "agent":
                    self.agent(item[inner], f"{where}.{inner}")
                else:
                    self.group(item[inner], f"{where}.{inner}")
            types = item.get("relevantTypes")
            if types is not None:
                if not isinstance(types, list) or not types:
                    self.fail(f"{where}.relevantTypes", "must be a non-empty array of IRIs")
                else:
                    for n, iri in enumerate(types):
                        self.iri(iri, f"{where}.relevantTypes[{n}]")

    def attachments(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, "must be an array of attachments")
            return
        allowed = {"usageType", "display", "description", "contentType", "length", "sha2"}
        allowed.add("fileUrl")
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            required = ("usageType", "display", "contentType", "length", "sha2")
            if not self.obj(item, where, allowed, required):
                continue
            self.iri(item.get("usageType"), f"{where}.usageType")
            for key in ("display", "description"):
                if key in item:
                    self.language_map(item[key], f"{where}.{key}")
            content_type = item.get("contentType")
            if self.string(content_type, f"{where}.contentType") and not _MEDIA_TYPE.match(
                content_type
            ):
                self.fail(f"{where}.contentType", "must be a media type such as text/plain")
            length = item.get("length")
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                self.fail(f"{where}.length", "must be a whole number of bytes")
            sha2 = item.get("sha2")
            if self.string(sha2, f"{where}.sha2") and not _SHA2.match(sha2):
                self.fail(f"{where}.sha2", "must be a hex SHA-2 digest")
            # Without a fileUrl the content must come as a part of the request: checked with
            # the parts (stride.xapi.attachments), which this checker does not see.
            if "fileUrl" in item:
                self.iri(item["fileUrl"], f"{where}.fileUrl")

    def authority(self, value: Any) -> None:
        """An Agent, or the anonymous Group of two Agents that three-legged OAuth asserts
        with (the application and the user). Stride then sets its own (the API key)."""
        self.actor(value, "authority")
        if not isinstance(value, dict) or value.get("objectType") != "Group":
            return
        if any(key in value for key in _IFIS):
            self.fail("authority", "a group as authority must be anonymous (no identifier)")
        members = value.get("member")
        if isinstance(members, list) and len(members) != 2:
            self.fail("authority.member", "a group as authority must have exactly two agents")

    # --- statement ----------------------------------------------------------------------

    def body(self, value: dict[str, Any], path: str, sub: bool) -> None:
        prefix = f"{path}." if path else ""
        if "actor" in value:
            self.actor(value["actor"], prefix + "actor")
        if "verb" in value:
            self.verb(value["verb"], prefix + "verb")
        if "object" in value:
            self.target(value["object"], prefix + "object", sub)
        if "result" in value:
            self.result(value["result"], prefix + "result")
        if "context" in value:
            target = value.get("object")
            is_activity = isinstance(target, dict) and (
                target.get("objectType", "Activity") == "Activity"
            )
            self.context(value["context"], prefix + "context", is_activity)
        if "timestamp" in value:
            self.timestamp(value["timestamp"], prefix + "timestamp")
        if "attachments" in value:
            self.attachments(value["attachments"], prefix + "attachments")

    def statement(self, value: Any) -> None:
        allowed = {
            "id",
            "actor",
            "verb",
            "object",
            "result",
            "context",
            "timestamp",
            "stored",
            "authority",
            "version",
            "attachments",
        }
        if not self.obj(value, "", allowed, ("actor", "verb", "object")):
            return
        if "id" in value:
            self.uuid(value["id"], "id")
        self.body(value, "", sub=False)
        if "stored" in value:
            self.timestamp(value["stored"], "stored")
        if "authority" in value:
            self.authority(value["authority"])
        if "version" in value:
            version = value["version"]
            if self.string(version, "version") and not _VERSION[self.version].match(version):
                self.fail("version", f"is not a version this LRS accepts under {self.version}")
        verb = value.get("verb")
        if isinstance(verb, dict) and verb.get("id") == VOIDED:
            target = value.get("object")
            if not isinstance(target, dict) or target.get("objectType") != "StatementRef":
                self.fail("object", "a voiding statement's object must be a StatementRef")


def statement_errors(statement: Any, version: str = V1) -> Errors:
    """Every problem of one statement under `version` (1.0.3 or 2.0.0); [] when valid."""
    checker = _Checker(version)
    checker.statement(statement)
    return checker.errors


def batch_errors(statements: list[Any], version: str = V1) -> Errors:
    """Problems of a batch, paths prefixed with the statement's index (`[2].actor`)."""
    errors: Errors = []
    for index, statement in enumerate(statements):
        errors += [
            FieldError(f"[{index}].{e.path}" if e.path != "(statement)" else f"[{index}]", e.reason)
            for e in statement_errors(statement, version)
        ]
    return errors
