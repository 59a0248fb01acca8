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
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.dispatcher.domain import commands
from services.dispatcher.domain.audience import late_exclusion
from services.dispatcher.domain.broadcasts import Broadcast, BroadcastState
from services.dispatcher.domain.channels import Channel
from services.dispatcher.domain.messages import FreeText, Message, Said, TemplateMessage
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
    Provider,
    Providers,
    SendResult,
)
from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.contracts.audience_copy import AudienceContact
from shared.logging import get_logger

log = get_logger(__name__)
MAX_ATTEMPTS = 5
# Throttling is the provider asking for patience, not failing: the channel slows down, and a
# refused message is tried again for much longer before it is given up.
MAX_THROTTLED_ATTEMPTS = 20
MAX_TAKE_TRIES = 4
# A window handed over looks at its broadcast's state this often (`StateWatch`): pausing or
# cancelling stops the messages it had not started yet (they go back to the queue).
STATE_CHECK_S = 1.0
HELD = SendResult("retry", reason="paused")


@dataclass(frozen=True)
class SendProgress:
    handed: int  # messages handed to the provider by this step
    done: bool  # the broadcast needs nothing more from the sender


@dataclass
class Window:
    """Recipients of one bucket marked `sending` and stored, to be handed over."""

    broadcast: Broadcast
    channel: Channel
    provider: Provider
    bucket: RecipientBucket
    recipients: list[Recipient]
    said: dict[str, Said]  # by contact id: what each is told
    # Set once every message of the window has started (or the rest was held back): the
    # channel's sender takes another window then, while this one's answers are stored.
    started: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Speaker:
    """Says the broadcast's message to each recipient of a window, from the copies of the
    contacts read for it (a text without expressions is said without reading them)."""

    message: Message
    default_language: str | None
    said: dict[str, Said] = field(default_factory=dict)

    def say(self, contact: AudienceContact | None, contact_id: str) -> str | None:
        """Remembers what the contact is told; or why it cannot be told (`missing_variable`)."""
        if not self.message.personal:
            assert isinstance(self.message, FreeText)
            self.said[contact_id] = Said(self.message.text.replace("@@", "@"))
            return None
        if contact is None:
            return "contact_deleted"
        said = self.message.said_to(contact, self.default_language)
        if isinstance(said, str):
            return said
        self.said[contact_id] = said
        return None


async def send_next(
    cmd: commands.SendNext, uow: DispatcherUnitOfWork, providers: Providers, pacer: Pacer
) -> SendProgress:
    """Takes the next window and hands it over (the two steps one after the other)."""
    taken = await take_window(commands.TakeWindow(cmd.org_id, cmd.broadcast_id), uow,
                              providers, pacer)  # fmt: skip
    if isinstance(taken, SendProgress):
        return taken
    return await hand_over(commands.HandOver(taken), uow, pacer)


async def take_window(
    cmd: commands.TakeWindow, uow: DispatcherUnitOfWork, providers: Providers, pacer: Pacer
) -> Window | SendProgress:
    """The broadcast's next window, stored `sending`; or, when there is none now, why. A
    window this process is handing over still (`pacer.in_flight`) is left alone, so the
    channel's sender may take the next window while the last one is on its way."""
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
    settings = None
    if broadcast.quiet_hours is not None or isinstance(broadcast.message, TemplateMessage):
        settings = await uow.organizations.get(cmd.org_id)
    quiet = broadcast.quiet_hours
    if quiet is not None and settings is not None and quiet.contains(now, settings.timezone):
        return SendProgress(0, False)  # resumes when the quiet hours end
    speaker = Speaker(broadcast.message, settings.default_language if settings else None)
    provider = providers.for_channel(channel)
    after: int | None = None
    for _ in range(MAX_TAKE_TRIES):
        bucket = await uow.broadcasts.open_bucket(broadcast.id, now, after)
        if bucket is None:
            break
        window = await _mark_window(uow, bucket, channel, provider, pacer, speaker)
        if window is None:
            continue  # another writer saved the bucket meanwhile: read it again
        if window:
            return Window(broadcast, channel, provider, bucket, window, speaker.said)
        after = bucket.n  # all of it on its way already: the next bucket
    if after is None and not await uow.broadcasts.has_open_bucket(broadcast.id):
        await _finish(uow, broadcast)
        return SendProgress(0, True)
    return SendProgress(0, False)  # only retries, deferred messages or windows on their way


async def _mark_window(
    uow: DispatcherUnitOfWork,
    bucket: RecipientBucket,
    channel: Channel,
    provider: Provider,
    pacer: Pacer,
    speaker: Speaker,
) -> list[Recipient] | None:
    """Marks and stores the bucket's next window, each recipient's message said (`speaker`);
    None if the save lost a race. Nothing to take and nothing changed (its windows are on
    their way): nothing is written."""
    now, version = uow.clock(), bucket.version
    before = _marks(bucket)
    ids = {r.contact_id: message_id(bucket.broadcast_id, bucket.n, r.contact_id)
           for r in bucket.recipients if r.status == "sending"}  # fmt: skip
    window = [r for r in bucket.recipients
              if r.status == "sending" and not pacer.in_flight(ids[r.contact_id])]  # fmt: skip
    if window and not provider.idempotent:  # left by a dispatcher that died
        for recipient in window:
            recipient.move("unknown", now, "in_flight_at_crash")
        window = []
    for recipient in window:  # handed over again under the same keys, a limited number of times
        recipient.attempts += 1
        if recipient.attempts > MAX_ATTEMPTS:
            recipient.move("failed", now, "gave_up_after_crashes")
    window = [r for r in window if r.status == "sending"]
    if window:  # said again as it was: the same message under the same key
        contacts = {}
        if speaker.message.personal:
            contacts = await uow.audience.get_contacts(
                bucket.org_id, [r.contact_id for r in window]
            )
        for recipient in window:
            if speaker.say(contacts.get(recipient.contact_id), recipient.contact_id) is not None:
                recipient.move("unknown", now, "in_flight_at_crash")  # cannot be said again
        window = [r for r in window if r.status == "sending"]
    else:
        size = window_size(channel, uow.send_window)
        window = await _take_window(uow, bucket, size, channel, pacer, speaker)
    if not window and _marks(bucket) == before:
        return []
    if not await uow.broadcasts.save_bucket(bucket, version):
        return None
    pacer.started({message_id(bucket.broadcast_id, bucket.n, r.contact_id) for r in window})
    return window


def _marks(bucket: RecipientBucket) -> list[tuple[object, ...]]:
    return [(r.status, r.reason, r.not_before, r.attempts) for r in bucket.recipients]


async def hand_over(
    cmd: commands.HandOver, uow: DispatcherUnitOfWork, pacer: Pacer
) -> SendProgress:
    """Each message of the window starts at its turn and does not wait for the previous one's
    answer (the channel's rate is the rate of starts, whatever the provider's latency); then
    the answers are stored."""
    window = cmd.window
    assert isinstance(window, Window)
    broadcast, channel, bucket = window.broadcast, window.channel, window.bucket
    ids = {
        r.contact_id: message_id(broadcast.id, bucket.n, r.contact_id) for r in window.recipients
    }
    sends: list[tuple[str, asyncio.Task[SendResult]]] = []
    results: dict[str, SendResult] = {}
    deferred: dict[str, float] = {}  # contact -> seconds until the pair interval is over
    state = StateWatch(uow, broadcast)
    try:
        # Before the first message too: a window taken before a pause is not sent after it.
        still = await state.read()
        async with pacer.window_turn(channel):  # the windows of a channel one after the other
            for recipient in window.recipients if still else ():
                if not state.sending():  # paused or cancelled meanwhile
                    break
                # Another window may have just reached this person (two broadcasts).
                if (wait_s := pacer.too_soon(channel, recipient.phone or "")) > 0:
                    deferred[recipient.contact_id] = wait_s
                    continue
                await pacer.wait_turn(channel)
                pacer.sent_to(channel, recipient.phone or "")
                message = OutboundMessage(
                    message_id=ids[recipient.contact_id],
                    channel=channel,
                    to=recipient.phone or "",
                    said=window.said[recipient.contact_id],
                    contact_id=recipient.contact_id,
                    broadcast_id=broadcast.id,
                )
                send = asyncio.create_task(_send(window.provider, message, pacer))
                sends.append((recipient.contact_id, send))
        window.started.set()
        for contact_id, send in sends:
            results[contact_id] = await send
        for recipient in window.recipients:  # not handed over: back in the queue
            if recipient.contact_id not in deferred:
                results.setdefault(recipient.contact_id, HELD)
        if channel.rules.reports_by_provider_id:  # before the results: reports may come first
            await uow.provider_ids.add({
                provider_ref(channel.id, r.provider_id): ids[contact_id]
                for contact_id, r in results.items() if r.provider_id
            })  # fmt: skip

        def record(bucket: RecipientBucket, now: datetime) -> None:
            for recipient in bucket.recipients:
                if (wait_s := deferred.get(recipient.contact_id)) is not None:
                    if recipient.status == "sending":
                        recipient.attempts -= 1
                        recipient.requeue(now, "pair_interval", now + timedelta(seconds=wait_s))
                elif (result := results.get(recipient.contact_id)) is not None:
                    record_result(recipient, result, now)

        said = {contact_id: window.said[contact_id].text for contact_id in results}
        await change_bucket(uow, bucket, record, said)
    finally:  # a provider that raised: the window stays `sending`, settled by the next take
        window.started.set()
        state.stop()
        for _, send in sends:
            send.cancel()
        pacer.finished(set(ids.values()))
    return SendProgress(len(window.recipients), False)


async def _send(provider: Provider, message: OutboundMessage, pacer: Pacer) -> SendResult:
    """Hands one message over; a throttling answer slows the channel at once, for the very
    next message, not once the window is over."""
    result = await provider.send(message)
    if result.throttled:
        pacer.throttled(message.channel)
    return result


class StateWatch:
    """Whether a window's broadcast is still sending, read again every `STATE_CHECK_S` in a
    task of its own. Awaited in the send loop, that read waited behind the service's writes on
    its one store connection (tens to hundreds of milliseconds on the local store) while the
    channel's slots went by: a 200/s channel sent 174-198/s."""

    def __init__(self, uow: DispatcherUnitOfWork, broadcast: Broadcast) -> None:
        self._uow, self._broadcast = uow, broadcast
        self._still = True
        self._read_at = float("-inf")
        self._reading: asyncio.Task[None] | None = None

    async def read(self) -> bool:
        self._read_at = time.monotonic()
        current = await self._uow.broadcasts.get(self._broadcast.org_id, self._broadcast.id)
        self._still = current is not None and current.state is BroadcastState.SENDING
        return self._still

    def sending(self) -> bool:
        """The last state read; starts the next read when one is due."""
        due = time.monotonic() - self._read_at >= STATE_CHECK_S
        if due and (self._reading is None or self._reading.done()):
            self._reading = asyncio.create_task(self._read_aside())
        return self._still

    async def _read_aside(self) -> None:
        """A read that failed (the store away a moment) keeps the last state; the next is due
        `STATE_CHECK_S` later. Logged, never left as an unretrieved task exception."""
        try:
            await self.read()
        except Exception as exc:
            log.warning("broadcast_state_unread", broadcast_id=self._broadcast.id, error=repr(exc))

    def stop(self) -> None:
        if self._reading is not None:
            self._reading.cancel()


async def change_bucket(
    uow: DispatcherUnitOfWork,
    bucket: RecipientBucket,
    change: Callable[[RecipientBucket, datetime], None],
    said: Mapping[str, str] | None = None,
) -> None:
    """Applies `change` to the bucket and saves it; if another writer saved it meanwhile (a
    status report came in), applies it again to a fresh read. Statuses only move forward, so
    the two writers' changes merge. `said`: what each contact handed over was told."""
    while True:
        before, now = bucket.statuses(), uow.clock()
        change(bucket, now)
        bucket.announce(before, now, said)
        if await uow.broadcasts.save_bucket(bucket, bucket.version):
            return
        fresh = await uow.broadcasts.get_bucket(bucket.broadcast_id, bucket.n)
        if fresh is None:
            return
        bucket = fresh


async def _take_window(
    uow: DispatcherUnitOfWork,
    bucket: RecipientBucket,
    size: int,
    channel: Channel,
    pacer: Pacer,
    speaker: Speaker,
) -> list[Recipient]:
    """The next queued recipients whose time has come, marked `sending`; those no longer to
    be sent to skipped (blocked since, or a value the message says gone missing); those who
    had a message on this channel too recently (the channel's `pair_interval_s`, WhatsApp's
    one message per 6 s to a person) put off until they may."""
    now = uow.clock()
    window: list[Recipient] = []
    while len(window) < size and (queued := bucket.next_queued(size - len(window), now)):
        contacts = await uow.audience.get_contacts(bucket.org_id, [r.contact_id for r in queued])
        blacklisted = await uow.audience.blacklisted_groups(bucket.org_id)
        for recipient in queued:
            contact = contacts.get(recipient.contact_id)
            reason = late_exclusion(contact, blacklisted) or speaker.say(
                contact, recipient.contact_id
            )
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


def window_size(channel: Channel, send_window: int) -> int:
    """How many recipients one step hands over: at most `send_window` (200), what a crash can
    leave uncertain (`unknown` where the provider cannot tell a repeat, handed over again under
    the same keys where it can), and at most two seconds' worth, so the channel's other
    broadcasts get their turn soon and the sender's lease (renewed between windows, 10 s)
    never runs out in the middle of one; the next window is taken while this one is on its
    way, so windows cost the channel no pause. An unlimited channel (`log`: nothing leaves the
    service) takes a whole bucket: a bucket is rewritten once per window on the local store."""
    if channel.tps is None:
        return BUCKET_SIZE
    return min(send_window, 2 * channel.tps)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 1, 2, 4, 8 s after the first attempts (at most
    a minute), each between half and all of it, so retries do not come back in step."""
    return timedelta(seconds=min(60.0, 2.0 ** (attempts - 1)) * random.uniform(0.5, 1.0))


def record_result(recipient: Recipient, result: SendResult, now: datetime) -> None:
    """What a provider's answer makes of a recipient being sent (a retry goes back in the queue
    after its backoff)."""
    if recipient.status != "sending":
        return  # moved on by a status report already (sent, delivered, failed)
    if result is HELD:
        recipient.attempts -= 1
        recipient.requeue(now, "paused")
    elif result.outcome == "sent":
        recipient.provider_id = result.provider_id
        recipient.move("sent", now)
        if result.delivered:
            recipient.move("delivered", now)
    elif result.outcome == "failed":
        recipient.move("failed", now, result.reason)
    elif result.outcome == "unknown":
        recipient.move("unknown", now, result.reason)
    elif recipient.attempts >= (MAX_THROTTLED_ATTEMPTS if result.throttled else MAX_ATTEMPTS):
        recipient.move("failed", now, result.reason or "provider_unavailable")
    else:
        recipient.requeue(now, result.reason or "retry", now + retry_delay(recipient.attempts))


async def _finish(
    uow: DispatcherUnitOfWork, broadcast: Broadcast, failure: str | None = None
) -> None:
    await uow.broadcasts.settle_counts(broadcast.id)
    version = broadcast.version
    if failure is None:
        broadcast.complete(uow.clock())
    else:
        broadcast.fail(uow.clock(), failure)
    await uow.broadcasts.save(broadcast, version)
