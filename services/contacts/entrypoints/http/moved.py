"""Paths under `/v1/contacts` that other services answer, moved so that every path has exactly
one owner and one ingress routes `/v1/...` by prefix (`shared.http.routing`): the contacts
service answers them for one version with a permanent redirect (308, method and body kept) to
where they went. Deprecated: removed in the next version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse

from shared.http.dependencies import Caller

router = APIRouter(prefix="/v1/contacts", tags=["moved"])
MOVED = {
    308: {
        "description": "Moved: the same request, to `Location`",
        "headers": {"Location": {"schema": {"type": "string"}, "description": "Where it went"}},
    }
}
ContactId = Annotated[str, Path(max_length=100)]


def _redirect(request: Request, target: str) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse(f"{target}?{query}" if query else target, status_code=308)


@router.get(
    "/{contact_id}/groups",
    deprecated=True,
    status_code=308,
    response_class=RedirectResponse,
    responses=MOVED,
)
async def moved_contact_groups(
    contact_id: ContactId, request: Request, by: Caller
) -> RedirectResponse:
    """Now `GET /v1/memberships/{contact_id}` (groups service)."""
    return _redirect(request, f"/v1/memberships/{contact_id}")


@router.get(
    "/{contact_id}/messages",
    deprecated=True,
    status_code=308,
    response_class=RedirectResponse,
    responses=MOVED,
)
async def moved_contact_messages(
    contact_id: ContactId, request: Request, by: Caller
) -> RedirectResponse:
    """Now `GET /v1/conversations/{contact_id}/messages` (flows service)."""
    return _redirect(request, f"/v1/conversations/{contact_id}/messages")


@router.get(
    "/{contact_id}/runs",
    deprecated=True,
    status_code=308,
    response_class=RedirectResponse,
    responses=MOVED,
)
async def moved_contact_runs(
    contact_id: ContactId, request: Request, by: Caller
) -> RedirectResponse:
    """Now `GET /v1/conversations/{contact_id}/runs` (flows service)."""
    return _redirect(request, f"/v1/conversations/{contact_id}/runs")
