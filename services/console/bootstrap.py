"""Wires the console: one HTTP client pool (to the accounts service for sessions, to every
service for the gateway), the message bus and the app. It has no store and no Kafka: it keeps
no data. Nothing is created at import time; the unit tests build the same bus with a fake
accounts service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.console.adapters.accounts import AccountsHttp
from services.console.adapters.gateway import Gateway
from services.console.domain.errors import UpstreamUnavailable
from services.console.entrypoints.http.app import ROUTERS
from services.console.entrypoints.http.headers import SecurityHeaders
from services.console.entrypoints.http.internal import InternalOnly
from services.console.service_layer.ports import AccountsSessions
from services.console.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from shared.http.app import create_app
from shared.http.routing import ROUTES
from shared.messagebus import MessageBus
from shared.settings import DEFAULT_PORTS, ServiceSettings

SERVICE = "console"
BUILT_ASSETS = Path(__file__).resolve().parent / "web" / "dist"


def build_bus(accounts: AccountsSessions) -> MessageBus:
    return MessageBus(
        commands=COMMAND_HANDLERS, events=EVENT_HANDLERS, dependencies={"accounts": accounts}
    )


def upstreams(settings: ServiceSettings) -> dict[str, str]:
    """Every service the routing table names, at its configured address or on loopback."""
    named = {service for _, service in ROUTES}
    return {
        service: settings.console_upstreams.get(service)
        or f"http://127.0.0.1:{DEFAULT_PORTS[service]}"
        for service in sorted(named)
    }


async def _accounts_unavailable(_: Request, __: Exception) -> JSONResponse:
    """The accounts service did not answer: a sign-in or refresh may be tried again."""
    body = {"error": {"code": "upstream_unavailable", "message": "Sign-in is unavailable just "
                      "now: try again in a moment", "details": {}}}  # fmt: skip
    return JSONResponse(body, 503, headers={"Retry-After": "5"})


def build_app(settings: ServiceSettings) -> FastAPI:
    addresses = upstreams(settings)
    assets_dir = Path(settings.console_assets_dir or BUILT_ASSETS).resolve()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=300)
        # Bodies pass through as the services sent them (compressed or not).
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as http:
            app.state.gateway = Gateway(http, addresses)
            app.state.bus = build_bus(AccountsHttp(http, addresses["accounts"]))
            yield

    async def assets_built() -> bool:
        return (assets_dir / "index.html").is_file()

    app = create_app(
        service=SERVICE,
        routers=ROUTERS,
        tokens=settings.accepted_tokens(),
        readiness={"assets": assets_built},
        lifespan=lifespan,
    )
    app.add_exception_handler(UpstreamUnavailable, _accounts_unavailable)
    app.add_middleware(InternalOnly)
    app.add_middleware(SecurityHeaders)
    app.state.assets_dir = assets_dir
    app.state.session_max_age = int(settings.session_ttl_days * 86400)
    return app
