"""The bearer-token dependency: every business route depends on it, so none is open by accident."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog
from fastapi import Request

from shared.auth import InvalidToken, Principal, Role, TokenCodec
from shared.http.errors import ApiError


def authenticate(request: Request) -> Principal:
    codec: TokenCodec = request.app.state.token_codec
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "a bearer token is required")
    try:
        principal = codec.verify(token.strip())
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", "the bearer token is not valid") from exc
    structlog.contextvars.bind_contextvars(org_id=principal.org_id, actor=principal.actor)
    return principal


def require_role(principal: Principal, allowed: Iterable[Role], action: str) -> None:
    if principal.role not in set(allowed):
        raise ApiError(403, "forbidden", f"the {principal.role.value} role cannot {action}")


def roles(*allowed: Role, action: str) -> Callable[[Principal], None]:
    def check(principal: Principal) -> None:
        require_role(principal, allowed, action)

    return check
