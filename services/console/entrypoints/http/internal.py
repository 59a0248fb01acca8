"""The console's probes and scrape are for the platform, not for the internet: the ingress sends
every path outside `/v1` to the console, so these answer only requests that did not come
through a proxy (kubelet's probes and Prometheus reach the pod directly; an ingress adds
`X-Forwarded-For`)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

INTERNAL_PATHS = frozenset(
    {"/metrics", "/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
PROXY_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
NOT_FOUND = json.dumps(
    {"error": {"code": "not_found", "message": "No such page or file", "details": {}}}
).encode()


class InternalOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in INTERNAL_PATHS:
            names = {name.lower() for name, _ in scope.get("headers", [])}
            if any(header in names for header in PROXY_HEADERS):
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", b"application/json")]})  # fmt: skip
                await send({"type": "http.response.body", "body": NOT_FOUND})
                return
        await self.app(scope, receive, send)
