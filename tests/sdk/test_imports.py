"""`stride.sdk` loads nothing of the server: a platform needs only httpx."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import stride.sdk
print(json.dumps(sorted(sys.modules)))
"""

SERVER_ONLY = {
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic_core",
    "sqlalchemy",
    "alembic",
    "numpy",
    "scipy",
    "structlog",
    "orjson",
    "typer",
    "uvicorn",
    "cryptography",
}


def test_the_sdk_imports_only_httpx_and_the_standard_library() -> None:
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, check=True, text=True
        ).stdout
    )
    top_level = {name.split(".")[0] for name in loaded}
    assert not top_level & SERVER_ONLY
    assert {name for name in loaded if name.startswith("stride")} <= {
        "stride",
        "stride.sdk",
        *(name for name in loaded if name.startswith("stride.sdk.")),
    }
    assert "httpx" in top_level
