"""`/v1/...` (and the published keys), passed to the owning service by the routing table the
ingress uses, so the browser talks to one origin."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.console.adapters.gateway import Gateway

router = APIRouter(include_in_schema=False)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


@router.api_route("/v1/{path:path}", methods=METHODS)
async def forward_api(request: Request) -> Response:
    return await _gateway(request).forward(request)


@router.get("/.well-known/jwks.json")
async def forward_keys(request: Request) -> Response:
    return await _gateway(request).forward(request)
