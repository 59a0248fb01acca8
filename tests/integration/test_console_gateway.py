"""The console's gateway between real processes: the console (`roster serve console`) in front of
services played by real HTTP servers on loopback. Each `/v1/...` path reaches the service the
routing table names, with its method, raw path, query, body and the caller's token; the
browser's cookies stay behind; bodies stream both ways unchanged (a compressed answer too);
a service that is down is a 502 with a code, a path nobody owns a 404."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from shared.http.routing import ROUTES
from tests.support.process import ServiceProcess, free_port

DOWNLOAD = os.urandom(3 * 1024 * 1024)
PLAIN = json.dumps({"items": [{"name": f"contact {i}"} for i in range(2000)]}).encode()


def upstream_app(name: str) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        if request.url.path.endswith("/export"):

            async def chunks() -> AsyncIterator[bytes]:
                for start in range(0, len(DOWNLOAD), 100_000):
                    yield DOWNLOAD[start : start + 100_000]

            return StreamingResponse(
                chunks(), media_type="text/csv",
                headers={"Content-Length": str(len(DOWNLOAD)),
                         "Content-Disposition": 'attachment; filename="members.csv"'},
            )  # fmt: skip
        if request.url.path.endswith("/compressed"):
            return Response(gzip.compress(PLAIN), headers={"Content-Encoding": "gzip"},
                            media_type="application/json")  # fmt: skip
        if request.url.path.endswith("/refuse"):
            return JSONResponse({"error": {"code": "unauthorized", "message": "no", "details": {}}},
                                401, headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        return JSONResponse({
            "served_by": name,
            "method": request.method,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "headers": {k: v for k, v in request.headers.items()},
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_length": len(body),
        })  # fmt: skip

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", echo, methods=methods)])


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # it could not start: say why
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def upstreams() -> AsyncIterator[dict[str, str]]:
    """Every service of the routing table but flows, each its own server; flows is down."""
    names = sorted({service for _, service in ROUTES} - {"flows"})
    ports = {name: free_port() for name in names}
    async with contextlib.AsyncExitStack() as stack:
        for name, port in ports.items():
            await stack.enter_async_context(serving(upstream_app(name), port))
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        yield urls | {"flows": f"http://127.0.0.1:{free_port()}"}


@pytest.fixture
def console(upstreams: dict[str, str], tmp_path: Path) -> Iterator[ServiceProcess]:
    (tmp_path / "index.html").write_text("<!doctype html><title>Roster</title>")
    process = ServiceProcess("console", {
        "ROSTER_CONSOLE_UPSTREAMS": json.dumps(upstreams),
        "ROSTER_CONSOLE_ASSETS_DIR": str(tmp_path),
        "ROSTER_LOG_JSON": "true",
    }, tmp_path / "console.log")  # fmt: skip
    try:
        process.start()
        yield process
    finally:
        process.stop()


async def test_each_path_reaches_its_owner_unchanged(console: ServiceProcess) -> None:
    upload = os.urandom(5 * 1024 * 1024)
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as http:
        answer = await http.post(
            "/v1/imports/uploads?sheet=Main%20sheet&x=1&x=2",
            content=upload,
            headers={"Authorization": "Bearer t0k3n", "Content-Type": "text/csv",
                     "Cookie": "roster_refresh=secret", "Idempotency-Key": "k-1",
                     "X-Forwarded-For": "203.0.113.66", "Forwarded": "for=203.0.113.66"},
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        seen = answer.json()
        assert seen["served_by"] == "importer" and seen["method"] == "POST"
        assert seen["raw_path"] == "/v1/imports/uploads"
        assert seen["query"] == "sheet=Main%20sheet&x=1&x=2"
        assert seen["body_length"] == len(upload)
        assert seen["body_sha256"] == hashlib.sha256(upload).hexdigest()
        headers = seen["headers"]
        assert headers["authorization"] == "Bearer t0k3n" and headers["idempotency-key"] == "k-1"
        assert "cookie" not in headers  # the console's cookie is the console's alone
        assert "forwarded" not in headers
        # One address: the client's as uvicorn read it (this test's client is on loopback, a
        # trusted proxy, so its header is believed), never a chain the client wrote.
        assert headers["x-forwarded-for"] == "203.0.113.66"
        assert headers["x-forwarded-host"] == console.url.removeprefix("http://")

        # The longest prefix wins, on whole segments; an encoded segment stays encoded.
        for path, owner in (("/v1/contacts/c%2F1", "contacts"), ("/v1/admin/groups/g/recount",
                            "groups"), ("/v1/sessions/refresh", "accounts"),
                            ("/.well-known/jwks.json", "accounts")):  # fmt: skip
            routed = await http.request("DELETE" if "contacts" in path else "GET", path)
            assert routed.json()["served_by"] == owner, path
            assert routed.json()["raw_path"] == path

        # An export streams through whole, with its length and name.
        export = await http.get("/v1/groups/g-1/export")
        assert export.content == DOWNLOAD
        assert export.headers["content-length"] == str(len(DOWNLOAD))
        assert export.headers["content-disposition"] == 'attachment; filename="members.csv"'
        # A compressed answer passes as it was sent (the browser decodes it).
        compressed = await http.get("/v1/contacts/compressed")
        assert compressed.headers["content-encoding"] == "gzip"
        assert compressed.content == PLAIN
        # The owner's refusal is the answer, with its challenge.
        refused = await http.get("/v1/contacts/refuse")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "content-security-policy" in refused.headers


async def test_a_service_down_and_a_path_nobody_owns(console: ServiceProcess) -> None:
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as http:
        down = await http.get("/v1/flows")
        assert down.status_code == 502
        assert down.json()["error"]["code"] == "upstream_unavailable"
        nobody = await http.get("/v1/nothing-here")
        assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "not_found"
        assert (await http.get("/v1/contactsx")).status_code == 404
        # Dot segments, however encoded, never lead out of the owner's /v1 (to its probes).
        for sneaky in ("/v1/contacts/%2e%2e/%2e%2e/metrics", "/v1/contacts/%2E%2E/readyz",
                       "/v1/groups/..%2f..%2fdocs", "/v1/contacts/%2e/x"):  # fmt: skip
            answer = await http.get(sneaky)
            assert answer.status_code == 404, sneaky
            assert answer.json()["error"]["code"] == "not_found"
