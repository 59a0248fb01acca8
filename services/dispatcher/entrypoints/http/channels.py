"""Routes for channels: thin, they translate HTTP to commands and back. Every role sees the
organisation's channels (staff pick one to send with); only admins change them, since they
hold the organisation's provider credentials."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.dispatcher.domain import commands
from services.dispatcher.domain.errors import ChannelNotFound
from services.dispatcher.entrypoints.http.dependencies import Uow
from services.dispatcher.entrypoints.http.schemas import (
    ChannelBody,
    ChannelList,
    ChannelPatch,
    ChannelView,
)
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/channels", tags=["channels"])

ADMINS = (Role.ADMIN,)


@router.post("", status_code=201, response_model=ChannelView)
async def create_channel(body: ChannelBody, by: Caller, bus: Bus) -> ChannelView:
    require_role(by, ADMINS, "create channels")
    channel = await bus.handle(
        commands.CreateChannel(by=by, type=body.type, name=body.name, settings=body.settings())
    )
    return ChannelView.of(channel)


@router.get("", response_model=ChannelList)
async def list_channels(by: Caller, uow: Uow) -> ChannelList:
    channels = await uow.channels.list(by.org_id)
    return ChannelList(items=[ChannelView.of(c) for c in channels], count=len(channels))


@router.get("/{channel_id}", response_model=ChannelView)
async def get_channel(channel_id: str, by: Caller, uow: Uow) -> ChannelView:
    channel = await uow.channels.get(by.org_id, channel_id)
    if channel is None:
        raise ChannelNotFound("no such channel", channel_id=channel_id)
    return ChannelView.of(channel)


@router.patch("/{channel_id}", response_model=ChannelView)
async def update_channel(channel_id: str, body: ChannelPatch, by: Caller, bus: Bus) -> ChannelView:
    require_role(by, ADMINS, "change channels")
    channel = await bus.handle(
        commands.UpdateChannel(
            by=by, channel_id=channel_id, changes=body.changes(), expected_version=body.version
        )
    )
    return ChannelView.of(channel)


@router.delete("/{channel_id}", status_code=204)
async def delete_channel(channel_id: str, by: Caller, bus: Bus) -> Response:
    require_role(by, ADMINS, "delete channels")
    await bus.handle(commands.DeleteChannel(by=by, channel_id=channel_id))
    return Response(status_code=204)
