"""The built application (`web/dist`): hashed assets cached for good, and `index.html` for every
other page path (the application routes in the browser), never cached, so a new build is
picked up on the next load."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse

router = APIRouter(include_in_schema=False)
IMMUTABLE = "public, max-age=31536000, immutable"


def _not_found() -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "not_found", "message": "No such page or file", "details": {}}}, 404
    )


@router.get("/{path:path}")
async def page_or_asset(path: str, request: Request) -> Response:
    root: Path = request.app.state.assets_dir
    index = root / "index.html"
    if path.startswith(("v1/", "console/", ".well-known/")):
        return _not_found()
    candidate = (root / path).resolve()
    if path and candidate.is_relative_to(root) and candidate.is_file():
        cache = IMMUTABLE if path.startswith("assets/") else "no-cache"
        return FileResponse(candidate, headers={"Cache-Control": cache})
    if "." in path.rsplit("/", 1)[-1] or not index.is_file():
        return _not_found()  # a missing file, not a page of the application
    return FileResponse(index, headers={"Cache-Control": "no-store"})
