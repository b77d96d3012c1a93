"""The dashboard page and its files, served by the API app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from stride.dashboard import assets


def test_the_page_is_served_with_its_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    page = response.text
    assert '<script type="module" src="/assets/app.js">' in page
    assert f"/assets/plotly.min.js?v={assets.plotly_version()}" in page
    assert "<script>" not in page and "style=" not in page  # nothing inline
    # plotly.js finds these and adds no <style> element of its own.
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in page
    for style_id in assets.injected_style_ids():
        assert f'id="{style_id}"' in page


def test_plotly_is_served_from_the_installed_package(client: TestClient) -> None:
    response = client.get("/assets/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in response.headers["cache-control"]
    path = assets.plotly_path()
    assert path is not None
    assert response.content == path.read_bytes()
    assert b"plotly.js" in response.content[:200]


def test_the_modules_and_styles_are_served(client: TestClient) -> None:
    for name in ("app.js", "api.js", "learner.js", "staff.js", "charts.js", "stream.js", "csv.js"):
        response = client.get(f"/assets/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript"), name
        assert response.headers["cache-control"] == "no-cache"
    assert client.get("/assets/styles.css").headers["content-type"].startswith("text/css")


def test_only_the_dashboards_own_files_are_served(client: TestClient) -> None:
    for name in ("index.py", "..%2Fassets.py", "missing.js", "App.JS", "%2e%2e%2fapp.js"):
        response = client.get(f"/assets/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/assets/../../pyproject.toml").status_code == 404


def test_api_answers_keep_the_strict_policy(client: TestClient) -> None:
    # Only the page relaxes the policy; the API keeps `default-src 'none'`.
    response = client.get("/healthz")
    assert "script-src" not in response.headers["content-security-policy"]
