"""Where the dashboard's files live, which of them may be served, and the page's policy.

The page is plain HTML with ES modules and one stylesheet; charts use the plotly.js bundle the
`plotly` package ships, so nothing is fetched from another origin.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata
from importlib.resources import files
from pathlib import Path

STATIC_DIR = Path(str(files("stride.dashboard"))) / "static"
PLOTLY_ASSET = "plotly.min.js"

# Scripts, styles and calls only from this origin; no inline code, no frames, no plugins.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # plotly.js sets style attributes on SVG nodes; <style> elements stay forbidden.
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}
_ASSET_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}\.(?:js|css|svg)$")


def asset_path(name: str) -> Path | None:
    """The static file `name` names, or None: only plain names of known kinds, no folders."""
    if not _ASSET_NAME.fullmatch(name):
        return None
    path = STATIC_DIR / name
    return path if path.is_file() else None


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix, "application/octet-stream")


@cache
def plotly_path() -> Path | None:
    """plotly.min.js as the installed `plotly` package bundles it."""
    try:
        package = files("plotly")
    except ModuleNotFoundError:
        return None
    path = Path(str(package)) / "package_data" / PLOTLY_ASSET
    return path if path.is_file() else None


@cache
def plotly_version() -> str:
    try:
        return metadata.version("plotly")
    except metadata.PackageNotFoundError:
        return "0"


# The bundle adds a <style> element for its map styles unless an element with this id exists.
_INJECTED_STYLE_ID = re.compile(
    rb'getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)'
)


@cache
def injected_style_ids() -> tuple[str, ...]:
    """Ids of the <style> elements plotly.js would add on load, which the policy forbids."""
    path = plotly_path()
    if path is None:
        return ()
    return tuple(match.decode() for match in _INJECTED_STYLE_ID.findall(path.read_bytes()))


@cache
def index_html() -> str:
    """The page, with the plotly version in the bundle's URL (so a new bundle is fetched anew)
    and placeholders that keep the bundle from adding <style> elements the policy forbids."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    placeholders = "".join(
        f'<meta name="stride-style-placeholder" id="{style_id}">\n  '
        for style_id in injected_style_ids()
    )
    return page.replace("__PLOTLY_VERSION__", plotly_version()).replace(
        "<!-- style placeholders -->", placeholders.rstrip()
    )
