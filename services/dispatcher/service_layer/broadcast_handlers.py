"""Broadcasts: created (once per idempotency key), paused, resumed and cancelled. Creating one
checks what a preview checks (groups, staff, channel) and stores it `scheduled`; the background
work resolves it when its time comes (`resolution.py`) and the channel's sender sends it
(`sending.py`)."""

from __future__ import annotations

from services.dispatcher.domain import commands
from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.errors import BroadcastNotFound, VersionConflict
from services.dispatcher.service_layer import queries
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.catch_up import CatchUp


async def create_broadcast(
    cmd: commands.CreateBroadcast, uow: DispatcherUnitOfWork, catch_up: CatchUp
) -> Broadcast:
    await queries.audience_groups(uow, cmd.by, cmd.audience, catch_up)
    await queries.audience_query(uow, cmd.by.org_id, cmd.audience, catch_up)
    await queries.broadcast_channel(uow, cmd.by.org_id, cmd.channel_id)
    message = await queries.broadcast_message(uow, cmd.by.org_id, cmd.text, cmd.template_id)
    broadcast = Broadcast.create(
        broadcast_id=uow.new_id(),
        org_id=cmd.by.org_id,
        channel_id=cmd.channel_id,
        audience=cmd.audience,
        message=message,
        by=cmd.by.actor,
        now=uow.clock(),
        send_at=cmd.send_at,
        idempotency_key=cmd.idempotency_key,
        quiet_hours=cmd.quiet_hours,
    )
    return await uow.broadcasts.add(broadcast)


async def load_broadcast(uow: DispatcherUnitOfWork, org_id: str, broadcast_id: str) -> Broadcast:
    broadcast = await uow.broadcasts.get(org_id, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFound("no such broadcast", broadcast_id=broadcast_id)
    return broadcast


async def change_broadcast_state(
    cmd: commands.ChangeBroadcastState, uow: DispatcherUnitOfWork
) -> Broadcast:
    """Cancel stops what is queued too: the sender hands over nothing of a broadcast that is
    not `sending`, and what it already took settles as the provider answers."""
    for _ in range(5):  # the sender saves the broadcast too (completing it): read it again
        broadcast = await load_broadcast(uow, cmd.by.org_id, cmd.broadcast_id)
        version = broadcast.version
        if cmd.action == "pause":
            broadcast.pause()
        elif cmd.action == "resume":
            broadcast.resume()
        else:
            broadcast.cancel(uow.clock())
        if await uow.broadcasts.save(broadcast, version):
            return broadcast
    raise VersionConflict("the broadcast keeps changing; try again")
