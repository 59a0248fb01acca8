"""Paths under `/v1/contacts` that other services answer, moved so that every path has exactly
one owner and one ingress routes `/v1/...` by prefix (`shared.http.routing`): the contacts
service answers them for one version with a permanent redirect (308, method and body kept) to
where they went. Deprecated: removed in the next version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse

from shared.http.dependencies import Caller

router = APIRouter(prefix="/v1/contacts", tags=["moved"])
ContactId = Annotated[str, Path(max_length=100)]
MOVED: dict[int | str, dict[str, Any]] = {
    308: {
        "description": "Moved: the same request, to `Location`",
        "headers": {"Location": {"schema": {"type": "string"}, "description": "Where it went"}},
    }
}
# The old path's last segment -> (where it went, which service answers there).
DESTINATIONS = {
    "groups": ("/v1/memberships/{contact_id}", "groups"),
    "messages": ("/v1/conversations/{contact_id}/messages", "flows"),
    "runs": ("/v1/conversations/{contact_id}/runs", "flows"),
}


def _redirect_to(target: str) -> Callable[..., Awaitable[RedirectResponse]]:
    async def redirect(contact_id: ContactId, request: Request, by: Caller) -> RedirectResponse:
        url = target.format(contact_id=contact_id)
        query = request.url.query
        return RedirectResponse(f"{url}?{query}" if query else url, status_code=308)

    return redirect


for segment, (target, service) in DESTINATIONS.items():
    router.add_api_route(
        f"/{{contact_id}}/{segment}",
        _redirect_to(target),
        methods=["GET"],
        name=f"moved_contact_{segment}",
        description=f"Now `GET {target}` ({service} service).",
        deprecated=True,
        status_code=308,
        response_class=RedirectResponse,
        responses=MOVED,
    )
