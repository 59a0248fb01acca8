"""Every route of every service, in production token mode (only the accounts service's EdDSA
tokens, checked against its published keys), refuses each kind of bad token with 401 and
`WWW-Authenticate: Bearer` before any work: none, forged signature, another audience, expired,
`alg: none`, HS256 signed with the published key, a key nobody published, a development token.
The apps are not started: a request that got past the check would need the store, and fail
otherwise than 401. Another organisation's valid token: test_tenancy_and_auth.py (integration)."""

from __future__ import annotations

import base64
import importlib
import json
import re
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials

from services.accounts.adapters.keys import Ed25519Keys
from shared.auth import AcceptedTokens, JwksVerifier, Role, TokenCodec
from shared.http.security import authenticate
from shared.settings import DEFAULT_PORTS, ServiceSettings
from tests.fakes.accounts import T0

# Served without a token on purpose: how one gets a token, the keys to check it with, and the
# providers' callbacks (each checked by the provider's signature instead). Every other operation
# declares the bearer scheme in its service's OpenAPI document, and is probed.
PUBLIC = {
    ("accounts", "POST", "/v1/sessions"),
    ("accounts", "POST", "/v1/sessions/refresh"),
    ("accounts", "POST", "/v1/invitations/accept"),
    ("accounts", "POST", "/v1/oauth/token"),  # the client's own credentials instead
    ("accounts", "GET", "/.well-known/jwks.json"),
    ("dispatcher", "GET", "/v1/channels/{channel_id}/webhook"),  # WhatsApp's handshake
    ("dispatcher", "POST", "/v1/channels/{channel_id}/webhook"),
    ("dispatcher", "POST", "/v1/channels/{channel_id}/inbound"),
    ("dispatcher", "POST", "/v1/channels/{channel_id}/status"),
}
KEY, STRANGER = Ed25519Keys().new_key(T0), Ed25519Keys().new_key(T0)
# The console serves no operation of its own behind a token: its pages and session routes are
# how one signs in, and it passes `/v1/...` to the owning service, which checks the token
# (`test_the_console_checks_no_token_itself_and_serves_only_its_own_routes` below, and the
# console's browser tests through the gateway).
SERVICES = sorted(set(DEFAULT_PORTS) - {"console"})
CONSOLE_ROUTES = {
    ("POST", "/console/session"),
    ("POST", "/console/session/refresh"),
    ("DELETE", "/console/session"),
    ("GET", "/v1/{path:path}"),
    ("POST", "/v1/{path:path}"),
    ("DELETE", "/v1/{path:path}"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/{path:path}"),
}


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "roster", "aud": "roster", "sub": "u1", "org": "acme", "role": "admin",
            "jti": uuid.uuid4().hex, "iat": now, "exp": now + 600, **changes}  # fmt: skip


def signed(key: Any, **changes: Any) -> str:
    return jwt.encode(claims(**changes), key.private_pem, "EdDSA", headers={"kid": key.kid})


def bad_tokens() -> dict[str, str | None]:
    valid = signed(KEY)
    header, payload, signature = valid.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    return {
        "none": None,
        "forged signature": f"{header}.{payload}.{flipped}",
        "another audience": signed(KEY, aud="elsewhere"),
        "another issuer": signed(KEY, iss="elsewhere"),
        "expired": signed(KEY, exp=int(time.time()) - 60),
        "alg none": _b64({"alg": "none", "typ": "JWT"}) + "." + payload + ".",
        "hs256 with the published key": jwt.encode(
            claims(), KEY.public_jwk["x"], "HS256", headers={"kid": KEY.kid}
        ),
        "a key nobody published": signed(STRANGER),
        "a development token": TokenCodec(
            ServiceSettings().jwt_signing_key, "roster", "roster"
        ).issue("acme", Role.ADMIN, "dev"),
    }


def production_app(service: str) -> FastAPI:
    build = importlib.import_module(f"services.{service}.bootstrap").build_app
    app: FastAPI = build(ServiceSettings())

    async def published() -> dict[str, Any]:
        return {"keys": [KEY.public_jwk]}

    app.state.tokens = AcceptedTokens(
        jwks=JwksVerifier(published, "roster", "roster"), shared_key=None
    )
    return app


def operations(service: str, app: FastAPI) -> list[tuple[str, str]]:
    """The operations that declare the bearer scheme; the others must be PUBLIC."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    found = [(m.upper(), p, op) for p, item in paths.items() for m, op in item.items()]
    unsecured = {(service, m, p) for m, p, op in found if not op.get("security")}
    assert unsecured <= PUBLIC, f"open without a token: {sorted(unsecured - PUBLIC)}"
    return sorted((m, p) for m, p, op in found if op.get("security"))


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_refuses_every_bad_token(service: str) -> None:
    app = production_app(service)
    routes = operations(service, app)
    assert routes, service
    transport = httpx.ASGITransport(app=app)
    accepted = []
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        for method, template in routes:
            path = re.sub(r"\{[^}]+\}", "x", template)
            for what, token in bad_tokens().items():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                answer = await client.request(method, path, headers=headers, json={})
                if answer.status_code != 401 or answer.headers.get("www-authenticate") != "Bearer":
                    accepted.append((method, template, what, answer.status_code))
    assert accepted == []


@pytest.mark.parametrize("service", SERVICES)
async def test_a_good_token_passes_the_same_check(service: str) -> None:
    """The probe above can fail: each service's check takes a valid token, and then only that
    (the route's own work then needs the started service, not here)."""
    app = production_app(service)
    request = Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/"})
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=signed(KEY))
    principal = await authenticate(request, credentials)
    assert (principal.org_id, principal.role, principal.subject) == ("acme", Role.ADMIN, "u1")


def test_the_console_checks_no_token_itself_and_serves_only_its_own_routes() -> None:
    from fastapi.routing import APIRoute

    from services.console.entrypoints.http.app import ROUTERS

    app = production_app("console")
    served = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method in ("GET", "POST", "DELETE")
    }
    assert served == CONSOLE_ROUTES
    assert app.openapi()["paths"] == {}  # nothing of its own to document: the services do
