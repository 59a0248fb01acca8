"""Resolving a broadcast: its audience walked once, in the preview's order and by the preview's
rules, into recipient buckets, which then never change membership. Every contact named is a
recipient: `queued`, or `skipped` with the reason the preview counted it under, so the
outcomes match the preview one by one.

No transaction spans the buckets and the broadcast: a crash while resolving leaves it
`resolving`, and the next run writes its buckets again from the start.
"""

from __future__ import annotations

from collections import Counter

from services.dispatcher.domain import commands
from services.dispatcher.domain.broadcasts import BroadcastState
from services.dispatcher.domain.recipients import BUCKET_SIZE, Recipient, RecipientBucket
from services.dispatcher.service_layer import queries
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.contactql.errors import QueryError


async def resolve_broadcast(cmd: commands.ResolveBroadcast, uow: DispatcherUnitOfWork) -> bool:
    """True once the broadcast is past resolution (or gone)."""
    broadcast = await uow.broadcasts.get(cmd.org_id, cmd.broadcast_id)
    if broadcast is None or broadcast.state not in (
        BroadcastState.SCHEDULED, BroadcastState.RESOLVING,
    ):  # fmt: skip
        return True
    now = uow.clock()
    if broadcast.send_at > now:
        return False
    if broadcast.state is BroadcastState.SCHEDULED:
        version = broadcast.version
        broadcast.start_resolving(now)
        if not await uow.broadcasts.save(broadcast, version):
            return False
    channel = await uow.channels.get(cmd.org_id, broadcast.channel_id)
    if channel is None:  # deleted since: nothing can be sent
        version = broadcast.version
        broadcast.fail(now, "channel_deleted")
        await uow.broadcasts.save(broadcast, version)
        return True
    excluded_groups = broadcast.audience.exclude_groups
    if excluded_groups:
        kept = await uow.audience.get_groups(cmd.org_id, list(excluded_groups))
        if len(kept) < len(set(excluded_groups)):  # its members would no longer be told apart
            version = broadcast.version
            broadcast.fail(now, "exclude_group_deleted")
            await uow.broadcasts.save(broadcast, version)
            return True
    try:
        query = await queries.audience_query(uow, cmd.org_id, broadcast.audience)
    except QueryError:  # a field or group it names was deleted since it was created
        version = broadcast.version
        broadcast.fail(now, "invalid_query")
        await uow.broadcasts.save(broadcast, version)
        return True
    blacklisted = await uow.audience.blacklisted_groups(cmd.org_id)
    settings = await uow.organizations.get(cmd.org_id)
    screen = queries.screen_for(
        channel, broadcast.audience, blacklisted, now, broadcast.message,
        settings.default_language,
    )  # fmt: skip
    await uow.broadcasts.clear_buckets(broadcast.id)
    audience, excluded, buckets = 0, Counter[str](), 0
    found: Counter[str] = Counter()
    current = RecipientBucket(broadcast.id, broadcast.org_id, 1, channel_id=channel.id)
    async for page in queries.audience_pages(uow, cmd.org_id, broadcast.audience, found, query):
        for contact in page:
            audience += 1
            reason = screen.exclusion(contact)
            status = "queued" if reason is None else "skipped"
            if reason is not None:
                excluded[reason] += 1
            current.recipients.append(Recipient(contact.id, contact.phone, status, reason, now))
            if len(current.recipients) == BUCKET_SIZE:  # written as it fills: memory stays flat
                await uow.broadcasts.add_bucket(current)
                buckets += 1
                current = RecipientBucket(
                    broadcast.id, broadcast.org_id, buckets + 1, channel_id=channel.id
                )
    if current.recipients:
        await uow.broadcasts.add_bucket(current)
        buckets += 1
    version = broadcast.version
    broadcast.resolved(audience, excluded, buckets)
    if broadcast.will_receive == 0:
        broadcast.complete(now)
    return await uow.broadcasts.save(broadcast, version)
