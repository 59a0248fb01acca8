"""Routes for broadcasts: thin, they translate HTTP to commands (and reads) and back. Staff
send only to the groups assigned to them; admins and managers to the whole organisation."""

from __future__ import annotations

from fastapi import APIRouter

from services.dispatcher.entrypoints.http.dependencies import Uow
from services.dispatcher.entrypoints.http.schemas import PreviewBody, PreviewView
from services.dispatcher.service_layer import queries
from shared.http.dependencies import Caller, CatchUpDep

router = APIRouter(prefix="/v1/broadcasts", tags=["broadcasts"])


@router.post("/preview", response_model=PreviewView)
async def preview_broadcast(
    body: PreviewBody, by: Caller, uow: Uow, catch_up: CatchUpDep
) -> PreviewView:
    """Who would receive the broadcast now, and why each of the others would not:
    `audience == will_receive + sum(excluded)`. Nothing is sent or stored."""
    result = await queries.preview(uow, by, body.audience(), body.channel_id, catch_up)
    return PreviewView.of(result)
