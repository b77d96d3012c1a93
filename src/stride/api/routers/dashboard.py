"""The web dashboard: the page at `/` and its static files under `/assets/` (docs/dashboard.md)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import FileResponse, HTMLResponse, Response

from stride.dashboard import assets
from stride.errors import NotFound

router = APIRouter(include_in_schema=False)

# The page itself changes with the install: revalidate it (and the modules) on every load.
REVALIDATE = "no-cache"
# The bundle's URL carries the plotly version, so a cached copy can be kept for a year.
LONG_CACHE = "public, max-age=31536000, immutable"


@router.get("/")
def index() -> Response:
    return HTMLResponse(
        assets.index_html(),
        headers={
            "content-security-policy": assets.CONTENT_SECURITY_POLICY,
            "cache-control": REVALIDATE,
        },
    )


@router.get("/assets/" + assets.PLOTLY_ASSET)
def plotly_bundle() -> Response:
    path = assets.plotly_path()
    if path is None:
        raise NotFound("The plotly package is not installed.")
    return FileResponse(
        path, media_type=assets.MEDIA_TYPES[".js"], headers={"cache-control": LONG_CACHE}
    )


@router.get("/assets/{name}")
def static_file(name: str) -> Response:
    path = assets.asset_path(name)
    if path is None:
        raise NotFound("No such dashboard file.")
    return FileResponse(
        path, media_type=assets.media_type(path), headers={"cache-control": REVALIDATE}
    )
