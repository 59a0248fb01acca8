"""The bearer-token dependency: every business route depends on it, so none is open by accident."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import InvalidToken, Principal, Role, TokenVerifier
from shared.http.errors import ApiError

# Declares the scheme in the OpenAPI document (the Authorize button of /docs); the token itself
# is checked below, so that a missing or bad one answers our 401, not FastAPI's 403.
# `authenticate` and every other dependency of ours is `async` although it awaits nothing: a
# plain function is run in a worker thread, which costs each request a thread hand-off and
# loses the log context it binds.
BEARER = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="A token from `roster token` (development) or the accounts service.",
)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    tokens: TokenVerifier = request.app.state.tokens
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        raise ApiError(401, "unauthorized", "a bearer token is required")
    try:
        principal = await tokens.verify(token)
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", "the bearer token is not valid") from exc
    structlog.contextvars.bind_contextvars(org_id=principal.org_id, actor=principal.actor)
    return principal


def require_role(principal: Principal, allowed: Iterable[Role], action: str) -> None:
    if principal.role not in set(allowed):
        raise ApiError(403, "forbidden", f"the {principal.role.value} role cannot {action}")
