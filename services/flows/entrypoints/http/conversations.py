"""A contact's messages, newest first: what the organisation told them (broadcasts, with each
message's status) and what they wrote (`direction: in`; `ignored` while they are blocked).
Served by the flows service (`GET /v1/conversations/{contact_id}/messages`), which keeps every
contact's conversation; the contact itself is the contacts service's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.flows.domain.conversation import ConversationMessage
from services.flows.entrypoints.http.dependencies import Uow
from services.flows.service_layer import queries
from shared.http.cursor import decode_cursor, encode_cursor
from shared.http.dependencies import Caller
from shared.http.errors import ApiError

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])
ORDER = "-at"


class MessageView(BaseModel):
    id: str
    direction: Literal["in", "out"]
    kind: str = Field(description="text, or what a contact sent instead: image, location, ...")
    channel_id: str
    status: str
    text: str | None
    broadcast_id: str | None
    reason: str | None
    at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, m: ConversationMessage) -> MessageView:
        return cls(
            id=m.id, direction=m.direction, kind=m.kind, channel_id=m.channel_id, status=m.status,
            text=m.text, broadcast_id=m.broadcast_id, reason=m.reason, at=m.at,
            updated_at=m.updated_at,
        )  # fmt: skip


class MessagePage(BaseModel):
    items: list[MessageView]
    next_cursor: str | None


@router.get("/{contact_id}/messages", response_model=MessagePage)
async def contact_messages(
    contact_id: Annotated[str, Path(max_length=100)],
    by: Caller,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    before = None
    if cursor:
        at, message_id = decode_cursor(cursor, ORDER)
        if not isinstance(at, datetime):
            raise ApiError(400, "invalid_cursor", "the cursor is not valid")
        before = (at, message_id)
    page = await queries.contact_messages(uow, by, contact_id, before, limit)
    last = page[-1] if len(page) == limit else None
    return MessagePage(
        items=[MessageView.of(m) for m in page],
        next_cursor=encode_cursor(ORDER, last.at, last.id) if last else None,
    )
