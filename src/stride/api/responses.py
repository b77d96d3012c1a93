"""Fast JSON responses (orjson) and RFC 9457 problem responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class ProblemBody(JSONBody):
    media_type = "application/problem+json"
