"""Channels: created, changed and deleted by an organisation's admins."""

from __future__ import annotations

from services.dispatcher.domain import commands
from services.dispatcher.domain.channels import Channel
from services.dispatcher.domain.errors import ChannelNotFound, VersionConflict
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork


async def create_channel(cmd: commands.CreateChannel, uow: DispatcherUnitOfWork) -> Channel:
    channel = Channel.create(
        channel_id=uow.new_id(),
        by=cmd.by,
        type=cmd.type,
        name=cmd.name,
        now=uow.clock(),
        **cmd.settings,
    )
    await uow.channels.add(channel)
    return channel


async def load_channel(uow: DispatcherUnitOfWork, org_id: str, channel_id: str) -> Channel:
    channel = await uow.channels.get(org_id, channel_id)
    if channel is None:
        raise ChannelNotFound("no such channel", channel_id=channel_id)
    return channel


async def _change(
    uow: DispatcherUnitOfWork, channel: Channel, expected_version: int | None, version: int
) -> None:
    if expected_version is not None and expected_version != version:
        raise VersionConflict("the channel changed since it was read", current_version=version)
    if not await uow.channels.save(channel, version):
        raise VersionConflict("the channel changed meanwhile; read it again")


async def update_channel(cmd: commands.UpdateChannel, uow: DispatcherUnitOfWork) -> Channel:
    channel = await load_channel(uow, cmd.by.org_id, cmd.channel_id)
    version = channel.version
    channel.update(cmd.changes, uow.clock())
    await _change(uow, channel, cmd.expected_version, version)
    return channel


async def delete_channel(cmd: commands.DeleteChannel, uow: DispatcherUnitOfWork) -> None:
    channel = await load_channel(uow, cmd.by.org_id, cmd.channel_id)
    version = channel.version
    channel.delete(uow.clock())
    await _change(uow, channel, None, version)
