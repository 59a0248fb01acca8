"""Sending: a broadcast's queued recipients handed to its channel a window at a time, each
at most once.

A window is marked `sending` and saved before anything is handed over, then each message goes
out at the channel's pace, then the window's outcomes are saved. A process that dies in between
leaves its window `sending`; whoever sends the broadcast next finds it so and settles it: on a
channel whose provider drops repeats of a message id (`http`: its `Idempotency-Key`), the
window is handed over again; elsewhere its messages become `unknown` until a status report
says otherwise. That window (`send_window`, 200 by default) bounds what a crash can leave
uncertain. Only one sender works a channel at a time (the background work holds a lease), and
every bucket save is conditional on the version read, so two senders could never both hand
over one recipient.

Just before a window goes, each recipient is looked up again: blocked, stopped, archived,
deleted or blacklisted since resolution, it is skipped with that reason.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.dispatcher.domain import commands
from services.dispatcher.domain.audience import late_exclusion
from services.dispatcher.domain.broadcasts import Broadcast, BroadcastState
from services.dispatcher.domain.channels import Channel
from services.dispatcher.domain.recipients import (
    BUCKET_SIZE,
    Recipient,
    RecipientBucket,
    message_id,
    provider_ref,
)
from services.dispatcher.service_layer.ports import (
    OutboundMessage,
    Pacer,
    Providers,
    SendResult,
)
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SendProgress:
    handed: int  # messages handed to the provider by this step
    done: bool  # the broadcast needs nothing more from the sender


async def send_next(
    cmd: commands.SendNext, uow: DispatcherUnitOfWork, providers: Providers, pacer: Pacer
) -> SendProgress:
    broadcast = await uow.broadcasts.get(cmd.org_id, cmd.broadcast_id)
    if broadcast is None or broadcast.finished:
        return SendProgress(0, True)
    if broadcast.state is not BroadcastState.SENDING:
        return SendProgress(0, False)  # paused, or not resolved yet
    channel = await uow.channels.get(cmd.org_id, broadcast.channel_id)
    if channel is None:
        await _finish(uow, broadcast, failure="channel_deleted")
        return SendProgress(0, True)
    now = uow.clock()
    if broadcast.quiet_hours is not None:
        zone = (await uow.organizations.get(cmd.org_id)).timezone
        if broadcast.quiet_hours.contains(now, zone):
            return SendProgress(0, False)  # resumes when the quiet hours end
    bucket = await uow.broadcasts.open_bucket(broadcast.id, now)
    if bucket is None:
        if await uow.broadcasts.has_open_bucket(broadcast.id):
            return SendProgress(0, False)  # only retries and deferred messages, not due yet
        await _finish(uow, broadcast)
        return SendProgress(0, True)
    provider = providers.for_channel(channel)
    version = bucket.version
    window = [r for r in bucket.recipients if r.status == "sending"]
    if window and not provider.idempotent:
        for recipient in window:
            recipient.move("unknown", now, "in_flight_at_crash")
        window = []
    if not window:
        size = window_size(channel, provider.idempotent, uow.send_window)
        window = await _take_window(uow, bucket, size, channel, pacer)
    if not await uow.broadcasts.save_bucket(bucket, version):
        return SendProgress(0, False)  # another sender moved it: read again
    # Each message starts at its turn and does not wait for the previous one's answer: the
    # channel's rate is the rate of starts, whatever the provider's latency.
    sends: list[tuple[str, asyncio.Task[SendResult]]] = []
    for recipient in window:
        await pacer.wait_turn(channel)
        pacer.sent_to(channel, recipient.phone or "")
        message = OutboundMessage(
            message_id=message_id(broadcast.id, bucket.n, recipient.contact_id),
            channel=channel,
            to=recipient.phone or "",
            text=broadcast.text,
            contact_id=recipient.contact_id,
            broadcast_id=broadcast.id,
        )
        sends.append((recipient.contact_id, asyncio.create_task(provider.send(message))))
    results: dict[str, SendResult] = {}
    try:
        for contact_id, send in sends:
            result = await send
            if result.throttled:
                pacer.throttled(channel)
            results[contact_id] = result
    finally:  # a provider that raised: the window stays `sending`, settled by the next step
        for _, send in sends:
            send.cancel()

    if channel.rules.reports_by_provider_id:  # before the results: its reports may come first
        await uow.provider_ids.add({
            provider_ref(channel.id, r.provider_id): message_id(broadcast.id, bucket.n, contact_id)
            for contact_id, r in results.items() if r.provider_id
        })  # fmt: skip

    def record(bucket: RecipientBucket, now: datetime) -> None:
        for recipient in bucket.recipients:
            if (result := results.get(recipient.contact_id)) is not None:
                _record(recipient, result, now)

    await change_bucket(uow, bucket, record)
    return SendProgress(len(window), False)


async def change_bucket(
    uow: DispatcherUnitOfWork,
    bucket: RecipientBucket,
    change: Callable[[RecipientBucket, datetime], None],
) -> None:
    """Applies `change` to the bucket and saves it; if another writer saved it meanwhile (a
    status report came in), applies it again to a fresh read. Statuses only move forward, so
    the two writers' changes merge."""
    while True:
        before, now = bucket.statuses(), uow.clock()
        change(bucket, now)
        bucket.announce(before, now)
        if await uow.broadcasts.save_bucket(bucket, bucket.version):
            return
        fresh = await uow.broadcasts.get_bucket(bucket.broadcast_id, bucket.n)
        if fresh is None:
            return
        bucket = fresh


async def _take_window(
    uow: DispatcherUnitOfWork, bucket: RecipientBucket, size: int, channel: Channel, pacer: Pacer
) -> list[Recipient]:
    """The next queued recipients whose time has come, marked `sending`; those no longer to
    be sent to skipped; those who had a message on this channel too recently (the channel's
    `pair_interval_s`, WhatsApp's one message per 6 s to a person) put off until they may."""
    now = uow.clock()
    window: list[Recipient] = []
    while len(window) < size and (queued := bucket.next_queued(size - len(window), now)):
        contacts = await uow.audience.get_contacts(bucket.org_id, [r.contact_id for r in queued])
        blacklisted = await uow.audience.blacklisted_groups(bucket.org_id)
        for recipient in queued:
            reason = late_exclusion(contacts.get(recipient.contact_id), blacklisted)
            wait_s = pacer.too_soon(channel, recipient.phone or "")
            if reason is not None:
                recipient.move("skipped", now, reason)
            elif wait_s > 0:
                recipient.requeue(now, "pair_interval", now + timedelta(seconds=wait_s))
            else:
                recipient.move("sending", now)
                recipient.attempts += 1
                window.append(recipient)
    return window


def window_size(channel: Channel, idempotent: bool, send_window: int) -> int:
    """How many recipients one step hands over. Each window costs a bucket write before and
    after it, and the pause between two windows is time the channel does not send, so windows
    are as long as the crash they may leave uncertain allows:
    - a provider that cannot tell a repeat (WhatsApp): `send_window` (200), at most two
      seconds' worth, since a crash leaves the window `unknown`;
    - a provider that drops repeats (`http`, by Idempotency-Key): up to a bucket, five
      seconds' worth, since a crash only hands the window over again under the same keys;
    - unlimited (`log`: nothing leaves the service): a whole bucket.
    The sender renews its lease between windows, and the lease (10 s) outlasts any window."""
    if channel.tps is None:
        return BUCKET_SIZE
    if idempotent:
        return min(BUCKET_SIZE, 5 * channel.tps)
    return min(send_window, 2 * channel.tps)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 1, 2, 4, 8 s after the first attempts (at most
    a minute), each between half and all of it, so retries do not come back in step."""
    return timedelta(seconds=min(60.0, 2.0 ** (attempts - 1)) * random.uniform(0.5, 1.0))


def _record(recipient: Recipient, result: SendResult, now: datetime) -> None:
    if recipient.status != "sending":
        return  # moved on by a status report already (sent, delivered, failed)
    if result.outcome == "sent":
        recipient.provider_id = result.provider_id
        recipient.move("sent", now)
        if result.delivered:
            recipient.move("delivered", now)
    elif result.outcome == "failed":
        recipient.move("failed", now, result.reason)
    elif recipient.attempts >= MAX_ATTEMPTS:
        recipient.move("failed", now, result.reason or "provider_unavailable")
    else:
        recipient.requeue(now, result.reason or "retry", now + retry_delay(recipient.attempts))


async def _finish(
    uow: DispatcherUnitOfWork, broadcast: Broadcast, failure: str | None = None
) -> None:
    version = broadcast.version
    if failure is None:
        broadcast.complete(uow.clock())
    else:
        broadcast.fail(uow.clock(), failure)
    await uow.broadcasts.save(broadcast, version)
