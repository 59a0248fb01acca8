"""Builds a service's FastAPI app: errors, request ids, metrics, health and readiness."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.auth import TokenVerifier
from shared.http.errors import ERROR_STATUSES, ErrorResponse, install_error_handlers
from shared.http.request_context import RequestContext
from shared.metrics import DEPENDENCY_UP

ReadinessCheck = Callable[[], Awaitable[bool]]
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in ERROR_STATUSES.items()
}
LivenessCheck = Callable[[], bool]

# The only routes served without a token: probes and the Prometheus scrape (no tenant data).
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def create_app(
    *,
    service: str,
    routers: Sequence[APIRouter],
    tokens: TokenVerifier,
    readiness: Mapping[str, ReadinessCheck],
    liveness: Mapping[str, LivenessCheck] | None = None,
    reported: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """`liveness`: what must hold for the process to be worth keeping (say, its consumer's
    supervision runs); `readiness`: what must hold for it to serve now (its reads: the store);
    `reported`: dependencies whose trouble shows in `/readyz`'s checks and in
    `roster_dependency_up` without taking the service out of rotation (Kafka: reads go on, and
    writes stay in the outbox until it is back)."""
    app = FastAPI(
        title=f"Roster {service}",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: operation_id(service, route),
    )
    app.state.tokens = tokens
    app.state.service = service
    install_error_handlers(app)

    app.add_middleware(RequestContext, service=service)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """Liveness: the process answers and its own machinery runs. Dependencies (store,
        broker) are readiness's business: their outage must not get the pod restarted."""
        results = {name: check() for name, check in (liveness or {}).items()}
        alive = all(results.values())
        return JSONResponse(
            {"status": "ok" if alive else "failing", "service": service, "checks": results},
            200 if alive else 503,
        )

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        required = {name: await check() for name, check in readiness.items()}
        informative = {name: await check() for name, check in (reported or {}).items()}
        for name, up in (required | informative).items():
            DEPENDENCY_UP.labels(service, name).set(1 if up else 0)
        ready = all(required.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "not_ready",
                "checks": required | informative,
                "degraded": sorted(name for name, up in informative.items() if not up),
            },
            200 if ready else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        # Every business route documents the error answers it can give, with their real body
        # (not FastAPI's default validation error, which no route of ours returns).
        app.include_router(router, responses=ERROR_RESPONSES)
    return app


def operation_id(service: str, route: APIRoute) -> str:
    """`<service>-<verb>-<noun>` from the route function's name (`create_contact` in the
    contacts service: `contacts-create-contact`): stable, unique across services, and what
    generated clients name their methods after."""
    return f"{service}-{route.name.replace('_', '-')}"
