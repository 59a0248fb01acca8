"""Passes a browser's `/v1/...` request to the service that owns its path and streams the answer
back unchanged (bodies are streamed both ways: an upload of 200 MB or an export of a million rows
is never held in memory). Nothing in it is the console's decision, so it is not a command: the
owning service authenticates, authorises and answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import aiohttp
import yarl
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
        "forwarded",
        "x-real-ip",
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
        path = request.url.path
        base = self.owner_url(path)
        # A `.` or `..` segment (however it was encoded) would be resolved on the way and could
        # reach a path outside the owner's `/v1` (its probes, its documents): refused.
        if base is None or any(part in (".", "..") for part in path.split("/")):
            return _error(404, "not_found", "No service serves this path")
        raw_path = request.scope.get("raw_path") or path.encode()
        target = base + raw_path.decode("latin-1")
        if request.url.query:
            target += "?" + request.url.query
        named = {h.strip().lower() for h in request.headers.get("connection", "").split(",")}
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in NOT_FORWARDED and k.lower() not in named
        }
        # The address uvicorn read (through the trusted proxies only), never what the client
        # claims: the accounts service counts sign-in attempts by it.
        headers["X-Forwarded-For"] = request.client.host if request.client else ""
        headers["X-Forwarded-Proto"] = request.url.scheme
        headers["X-Forwarded-Host"] = request.headers.get("host", "")
        has_body = request.method not in ("GET", "HEAD", "DELETE", "OPTIONS") or (
            "content-length" in request.headers or "transfer-encoding" in request.headers
        )
        try:
            upstream = await self._session.request(
                request.method,
                yarl.URL(target, encoded=True),  # sent as it came: nothing re-encoded or resolved
                headers=headers,
                data=_body(request) if has_body else None,
                allow_redirects=False,
            )
        except aiohttp.ClientError:
            return _error(502, "upstream_unavailable", "The service that owns this path is down")
        returned = {k: v for k, v in upstream.headers.items() if k.lower() not in NOT_RETURNED}
        return StreamingResponse(_relayed(upstream), status_code=upstream.status, headers=returned)


async def _relayed(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The answer's body, chunk by chunk; the connection goes back to the pool however the
    stream ends (finished, the service hanging up, the browser leaving)."""
    try:
        async for chunk in upstream.content.iter_chunked(CHUNK):
            yield chunk
    finally:
        upstream.release()


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": {}}}, status)
