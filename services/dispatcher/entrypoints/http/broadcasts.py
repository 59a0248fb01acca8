"""Routes for broadcasts: thin, they translate HTTP to commands (and reads) and back. Staff
send only to the groups assigned to them, and see only broadcasts to those; admins and
managers the whole organisation's."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from services.dispatcher.domain import commands
from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.entrypoints.http.dependencies import Uow
from services.dispatcher.entrypoints.http.schemas import (
    BroadcastBody,
    BroadcastPage,
    BroadcastView,
    PreviewBody,
    PreviewView,
)
from services.dispatcher.service_layer import queries
from shared.http.cursor import decode_cursor, encode_cursor
from shared.http.dependencies import Bus, Caller, CatchUpDep

router = APIRouter(prefix="/v1/broadcasts", tags=["broadcasts"])
ORDER = "-created_at"


@router.post("/preview", response_model=PreviewView)
async def preview_broadcast(
    body: PreviewBody, by: Caller, uow: Uow, catch_up: CatchUpDep
) -> PreviewView:
    """Who would receive the broadcast now, and why each of the others would not:
    `audience == will_receive + sum(excluded)`. Nothing is sent or stored."""
    result = await queries.preview(
        uow, by, body.audience(), body.channel_id, catch_up, body.text, body.template_id
    )
    return PreviewView.of(result)


@router.post("", status_code=202, response_model=BroadcastView)
async def create_broadcast(
    body: BroadcastBody,
    by: Caller,
    bus: Bus,
    uow: Uow,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="The same key returns the same broadcast"),
    ] = None,
) -> BroadcastView:
    broadcast: Broadcast = await bus.handle(
        commands.CreateBroadcast(
            by=by,
            audience=body.audience(),
            channel_id=body.channel_id,
            text=body.text,
            template_id=body.template_id,
            send_at=body.send_at,
            idempotency_key=idempotency_key,
            quiet_hours=body.quiet_hours,
        )
    )
    _, counts = await queries.load_visible(uow, by, broadcast.id)
    return BroadcastView.of(broadcast, counts)


@router.get("", response_model=BroadcastPage)
async def list_broadcasts(
    by: Caller,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> BroadcastPage:
    after = decode_cursor(cursor, ORDER) if cursor else None
    visible, last = await queries.broadcast_page(uow, by, after, limit)
    items = [BroadcastView.of(b, await uow.broadcasts.counts(b.id)) for b in visible]
    next_cursor = encode_cursor(ORDER, last.created_at, last.id) if last else None
    return BroadcastPage(items=items, next_cursor=next_cursor)


@router.get("/{broadcast_id}", response_model=BroadcastView)
async def get_broadcast(broadcast_id: str, by: Caller, uow: Uow) -> BroadcastView:
    broadcast, counts = await queries.load_visible(uow, by, broadcast_id)
    return BroadcastView.of(broadcast, counts)


async def _change(broadcast_id: str, action: str, by: Caller, bus: Bus, uow: Uow) -> BroadcastView:
    await queries.load_visible(uow, by, broadcast_id)  # staff: only their broadcasts
    await bus.handle(commands.ChangeBroadcastState(by=by, broadcast_id=broadcast_id, action=action))
    broadcast, counts = await queries.load_visible(uow, by, broadcast_id)
    return BroadcastView.of(broadcast, counts)


@router.post("/{broadcast_id}/pause", response_model=BroadcastView)
async def pause_broadcast(broadcast_id: str, by: Caller, bus: Bus, uow: Uow) -> BroadcastView:
    return await _change(broadcast_id, "pause", by, bus, uow)


@router.post("/{broadcast_id}/resume", response_model=BroadcastView)
async def resume_broadcast(broadcast_id: str, by: Caller, bus: Bus, uow: Uow) -> BroadcastView:
    return await _change(broadcast_id, "resume", by, bus, uow)


@router.post("/{broadcast_id}/cancel", response_model=BroadcastView)
async def cancel_broadcast(broadcast_id: str, by: Caller, bus: Bus, uow: Uow) -> BroadcastView:
    return await _change(broadcast_id, "cancel", by, bus, uow)


RECIPIENT_COLUMNS = ("contact_id", "phone", "status", "reason", "updated_at")


@router.get(
    "/{broadcast_id}/recipients",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv; charset=utf-8": {}, "application/x-ndjson": {}}}},
)
async def broadcast_recipients(
    broadcast_id: str,
    by: Caller,
    uow: Uow,
    status: str | None = None,
    format: Literal["csv", "ndjson"] = "csv",
) -> StreamingResponse:
    """Every recipient (contact id, phone, status, reason, time), streamed a bucket at a time."""
    broadcast, _ = await queries.load_visible(uow, by, broadcast_id)

    async def rows() -> AsyncIterator[str]:
        if format == "csv":
            yield ",".join(RECIPIENT_COLUMNS) + "\r\n"
        async for bucket in uow.broadcasts.buckets(broadcast.id):
            out = io.StringIO()
            writer = csv.writer(out)
            for r in bucket.recipients:
                if status is not None and r.status != status:
                    continue
                values = [r.contact_id, r.phone or "", r.status, r.reason or "",
                          r.updated_at.isoformat() if r.updated_at else ""]  # fmt: skip
                if format == "csv":
                    writer.writerow(values)
                else:
                    out.write(json.dumps(dict(zip(RECIPIENT_COLUMNS, values, strict=True))) + "\n")
            yield out.getvalue()

    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(rows(), media_type=media)
