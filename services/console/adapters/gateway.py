"""Passes a browser's `/v1/...` request to the service that owns its path and streams the answer
back unchanged (bodies are streamed both ways: an upload of 200 MB or an export of a million rows
is never held in memory). Nothing in it is the console's decision, so it is not a command: the
owning service authenticates, authorises and answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import aiohttp
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from shared.http.routing import owner

# Hop-by-hop headers (RFC 9110 section 7.6.1), and what the console sets itself.
NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "cookie",  # the refresh cookie is the console's alone (and scoped to its routes)
        "content-length",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
    }
)
NOT_RETURNED = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "trailer", "set-cookie"}
)
CHUNK = 64 * 1024


class Gateway:
    def __init__(self, session: aiohttp.ClientSession, upstreams: Mapping[str, str]) -> None:
        self._session = session
        self._upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}

    def owner_url(self, path: str) -> str | None:
        service = owner(path)
        return self._upstreams.get(service) if service else None

    async def forward(self, request: Request) -> Response:
        base = self.owner_url(request.url.path)
        if base is None:
            return _error(404, "not_found", "No service serves this path")
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        target = base + raw_path.decode("latin-1")
        if request.url.query:
            target += "?" + request.url.query
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        client = request.client.host if request.client else ""
        prior = request.headers.get("x-forwarded-for")
        headers["X-Forwarded-For"] = f"{prior}, {client}" if prior else client
        headers["X-Forwarded-Proto"] = request.url.scheme
        headers["X-Forwarded-Host"] = request.headers.get("host", "")
        has_body = request.method not in ("GET", "HEAD", "DELETE", "OPTIONS") or (
            "content-length" in request.headers or "transfer-encoding" in request.headers
        )
        try:
            upstream = await self._session.request(
                request.method,
                target,
                headers=headers,
                data=_body(request) if has_body else None,
                allow_redirects=False,
            )
        except aiohttp.ClientError:
            return _error(502, "upstream_unavailable", "The service that owns this path is down")
        returned = {k: v for k, v in upstream.headers.items() if k.lower() not in NOT_RETURNED}
        return StreamingResponse(
            upstream.content.iter_chunked(CHUNK),
            status_code=upstream.status,
            headers=returned,
            background=BackgroundTask(upstream.release),
        )


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": {}}}, status)
