"""Browser fixtures: a real `stride serve` on demo data, and Debian's chromium driven by
Playwright. Skipped, with the reason, when chromium or Playwright is missing."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

CHROMIUM = Path("/usr/bin/chromium")
DEMO_LEARNERS = "30"
DEMO_DAYS = "45"  # enough for weekly retention cohorts; fewer events, faster
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def missing_requirement() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_requirements() -> None:
    reason = missing_requirement()
    if reason:
        print(f"\nbrowser tests skipped: {reason}", file=sys.stderr)
        pytest.skip(f"browser tests need chromium and Playwright: {reason}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    api_key: str
    learner: str
    env: dict[str, str] = field(repr=False)

    def post(self, path: str, body: Any, credential: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credential or self.api_key}"}
        return httpx.post(f"{self.base}{path}", json=body, headers=headers, timeout=10)

    def get_achievements(self, learner: str) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        url = f"{self.base}/v1/learners/{learner}/achievements"
        answer = httpx.get(url, headers=headers, timeout=10)
        answer.raise_for_status()
        return answer.json()


# Package scope, not session: Playwright's sync API keeps an event loop running on the main
# thread while it is open, and asyncio.run() in any later test would refuse to start.
@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`stride demo` then `stride serve` in child processes, on a SQLite file of their own."""
    folder = tmp_path_factory.mktemp("dashboard")
    env = {
        **os.environ,
        "STRIDE_DATABASE_URL": f"sqlite:///{folder / 'stride.db'}",
        "STRIDE_RATE_LIMIT_PER_SECOND": "0",
    }
    stride = [sys.executable, "-m", "stride.cli.main"]
    demo = subprocess.run(
        [*stride, "demo", "--learners", DEMO_LEARNERS, "--days", DEMO_DAYS, "--json"],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    created = orjson.loads(demo.stdout)
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [*stride, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"stride serve did not start; see {folder / 'server.log'}")
            time.sleep(0.2)
        yield Server(base, created["api_key"], created["sample_learner"], env)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@dataclass
class Console:
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[tuple[Any, Console]]:
    """A page whose network ends at the server (no CDN, nothing else), recording console
    errors and every request that tried to leave."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    console = Console()

    def only_local(route: Any) -> None:
        if route.request.url.startswith(server.base):
            route.continue_()
        else:
            console.outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        # Until the server offers the event stream, its 404 is expected: the page polls.
        if url.endswith("/stream") and "404" in message.text:
            return
        console.errors.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.errors.append(f"page error: {error}"))
    yield page, console
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots/ when STRIDE_SCREENSHOTS=1 (to refresh the README's pictures), else a
    temporary folder: a test run leaves the working tree as it found it."""
    if os.environ.get("STRIDE_SCREENSHOTS") != "1":
        return tmp_path_factory.mktemp("screenshots")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
