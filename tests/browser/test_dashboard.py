"""The dashboard in a real browser: each view's charts draw with data, the cards follow new
events within 2 seconds, achievements are celebrated once, and nothing leaves the server."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import Console, Server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LIVE_SECONDS = 2.0
PERFECT = "first-perfect-score"  # a default achievement: one attempt with full marks

Page = tuple[Any, Console]


def sign_in(page: Any, server: Server, credential: str, learner: str | None = None) -> None:
    page.goto(f"{server.base}/")
    page.fill("#credential", credential)
    if learner:
        page.fill("#learner-id", learner)
    page.click("#signin-form button[type=submit]")


def charts_of(page: Any, view: str) -> dict[str, tuple[str, int]]:
    """Wait until every shown chart of the view is drawn; their (state, data points) by id."""
    selector = f"#{view} figure.chart:not([hidden])"
    page.wait_for_function(
        """selector => {
            const figures = [...document.querySelectorAll(selector)];
            return figures.length > 0 && figures.every(f => f.dataset.state !== 'loading');
        }""",
        arg=selector,
        timeout=20_000,
    )
    found = page.eval_on_selector_all(
        selector, "figures => figures.map(f => [f.id, f.dataset.state, f.dataset.points])"
    )
    return {name: (state, int(points)) for name, state, points in found}


def assert_drawn(page: Any, view: str, expected: set[str]) -> None:
    charts = charts_of(page, view)
    assert expected <= set(charts), charts
    for name, (state, points) in charts.items():
        assert state == "ready" and points > 0, (name, state, points)
        # plotly drew an SVG inside the panel.
        assert page.locator(f"#{name} .plot .main-svg").count() > 0, name


def for_program(url: str, route: str, program: str = "pm-foundations") -> bool:
    """A request for /v1/analytics/<route> that carries program=<program>."""
    parts = urlsplit(url)
    return parts.path == f"/v1/analytics/{route}" and parse_qs(parts.query).get("program") == [
        program
    ]


def shoot(page: Any, folder: Path, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)  # charts follow the new width
    page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways at phone width ({width}px)"
    page.set_viewport_size(DESKTOP)


def event(learner: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "exercise.attempted",
        "learner": learner,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "activity": {"id": "pmf/c1/m1/ex1", "type": "exercise"},
        "result": {"score": 1.0, "success": True, "duration_s": 600},
    }


def test_learner_view_draws_and_follows_new_events(
    page: Page, server: Server, screenshots: Path
) -> None:
    tab, console = page
    sign_in(tab, server, server.api_key, server.learner)
    assert_drawn(
        tab,
        "learner-view",
        {"chart-radar", "chart-timeline", "chart-heatmap", "chart-skills", "chart-forecast"},
    )
    placeholder = "\u2013"  # a dash until the card is filled
    for card in ("progress", "goal", "streak", "time"):
        assert tab.inner_text(f"#card-{card} .value") not in ("", placeholder), card
    assert tab.locator("#achievements li.badge").count() > 0
    assert tab.locator("#achievements li.badge progress").count() > 0  # unearned, with progress
    assert tab.locator("#recommendations li").count() > 0
    # The key is in sessionStorage only: never in the address or the page's links.
    assert server.api_key not in tab.url
    shoot(tab, screenshots, "learner")

    before = tab.inner_text("#card-progress") + tab.inner_text("#card-streak")
    unearned = {a["id"]: a["name"] for a in server.get_achievements(server.learner)["unearned"]}
    answer = server.post("/v1/events", event(server.learner))
    assert answer.status_code == 200, answer.text
    started = time.monotonic()
    tab.wait_for_function(
        """before => document.querySelector('#card-progress').innerText
                     + document.querySelector('#card-streak').innerText !== before""",
        arg=before,
        timeout=LIVE_SECONDS * 1000,
    )
    assert time.monotonic() - started <= LIVE_SECONDS
    if PERFECT in unearned:
        # The full marks unlock an achievement while the page is open: it is celebrated.
        tab.wait_for_selector("#celebration:not([hidden])", timeout=5000)
        assert unearned[PERFECT] in tab.inner_text("#celebration .message")
    assert console.errors == []
    assert console.outside == []


def test_staff_view_draws_every_chart(page: Page, server: Server, screenshots: Path) -> None:
    tab, console = page
    sign_in(tab, server, server.api_key)
    assert_drawn(
        tab,
        "staff-view",
        {
            "chart-engagement",
            "chart-retention",
            "chart-funnel",
            "chart-lifecycle",
            "chart-items",
            "chart-quality",
        },
    )
    tab.wait_for_selector("#content-panel tbody tr")
    tab.wait_for_selector("#risk-panel tbody tr")
    rows = tab.locator("#content-panel tbody tr").count()
    assert rows > 1
    # Filter, then sort by a numeric column (largest first).
    tab.fill("#content-filter", "stakeholders")
    assert 0 < tab.locator("#content-panel tbody tr").count() < rows
    tab.fill("#content-filter", "")
    tab.click("#content-panel th:nth-child(3) button")
    assert tab.get_attribute("#content-panel th:nth-child(3)", "aria-sort") == "descending"
    learners = [
        int(text) for text in tab.locator("#content-panel tbody td:nth-child(3)").all_inner_texts()
    ]
    assert learners == sorted(learners, reverse=True)
    # Every chart offers its data as CSV.
    with tab.expect_download() as download:
        tab.click("#chart-funnel button.csv")
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv.startswith("Step,Learners,") and "enrollment.created" in csv
    shoot(tab, screenshots, "staff")
    assert tab.locator("#chart-quality .scope-note").is_hidden()
    # The program filter redraws the panels for that program's learners: retention and
    # lifecycle ask for the program's own figures; data quality says it is tenant-wide.
    with (
        tab.expect_response(lambda r: for_program(r.url, "retention")) as retention,
        tab.expect_response(lambda r: for_program(r.url, "lifecycle")) as lifecycle,
    ):
        tab.select_option("#filter-program", "pm-foundations")
    assert retention.value.ok and lifecycle.value.ok
    assert_drawn(tab, "staff-view", {"chart-engagement", "chart-funnel", "chart-items"})
    for chart in ("chart-retention", "chart-lifecycle"):
        assert tab.inner_text(f"#{chart} .summary").startswith("Program “"), chart
    note = tab.locator("#chart-quality .scope-note")
    assert note.is_visible() and "covers the whole tenant" in note.inner_text()
    funnel = tab.eval_on_selector("#chart-funnel .table-wrap", "wrap => wrap.textContent")
    assert "enrollment.created:pm-foundations" in funnel
    # Staff open a learner's view from here.
    tab.fill("#open-learner-id", server.learner)
    tab.press("#open-learner-id", "Enter")
    tab.wait_for_selector("#learner-view:not([hidden])")
    assert tab.inner_text("#learner-name") == server.learner
    assert_drawn(tab, "learner-view", {"chart-radar", "chart-skills"})
    assert console.errors == []
    assert console.outside == []


def test_learner_token_sign_in_celebrates_once(page: Page, server: Server) -> None:
    tab, console = page
    issued = server.post(f"/v1/learners/{server.learner}/tokens", {"ttl_seconds": 600})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    sign_in(tab, server, token, server.learner)
    charts_of(tab, "learner-view")
    tab.wait_for_selector("#celebration:not([hidden])", timeout=5000)
    assert "unlocked" in tab.inner_text("#celebration .message")
    assert tab.locator("#nav-staff").is_hidden()  # a learner token has no staff view
    # Shown once: marked as shown for the learner, so a new visit does not repeat it.
    tab.wait_for_timeout(500)
    tab.evaluate("sessionStorage.removeItem('stride.dashboard.celebrated')")
    tab.reload()
    charts_of(tab, "learner-view")
    tab.wait_for_timeout(1000)
    assert tab.locator("#celebration").is_hidden()
    assert console.errors == []
    assert console.outside == []


def test_sign_in_works_from_the_keyboard(page: Page, server: Server) -> None:
    tab, console = page
    tab.goto(f"{server.base}/")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.className") == "skip"
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "credential"
    outline = tab.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # focus is visible
    assert tab.evaluate("document.activeElement.labels[0].textContent") != ""
    tab.keyboard.type("sk_0000000000000000_wrong")
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#signin-error:not([hidden])")
    assert "does not know" in tab.inner_text("#signin-error")
    assert tab.get_attribute("#signin-error", "role") == "alert"
    assert console.outside == []
