"""The dispatcher's background work: applying the providers' status reports in batches,
resolving broadcasts whose time came (one replica at a time), and one sender per channel with
broadcasts or single messages to send, each through the service's bus.

A sender holds its channel's lease (one sender per channel across replicas; a dead holder's
lease expires) and takes the channel's sending broadcasts in turn, a window of each at a time
(round robin: a new broadcast starts at once beside an older one, and neither waits for the
other to finish), taking the next window while the last one is on its way. Before each window
it hands over the channel's single messages waiting (a keyword's confirmation, a flow's
question): they jump ahead of the broadcasts, waiting at most for the windows already on
their way. It stops when nothing is left, and the next pass starts it again when there is.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from pymongo.asynchronous.collection import AsyncCollection

from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.commands import (
    ApplyStatusReports,
    HandOver,
    ResolveBroadcast,
    SendSingleMessages,
    TakeWindow,
)
from services.dispatcher.service_layer.ports import BroadcastRepository, SingleMessageRepository
from services.dispatcher.service_layer.sending import Window
from services.dispatcher.service_layer.single_messages import SinglesProgress
from services.dispatcher.service_layer.status_reports import BATCH as STATUS_BATCH
from shared.clock import Clock, utc_now
from shared.logging import get_logger
from shared.mongo.client import Document
from shared.mongo.relay import RelayLease

log = get_logger(__name__)
LEASE_TTL = timedelta(seconds=10)
RENEW_EVERY_S = LEASE_TTL.total_seconds() / 3
AHEAD = 2  # windows of one channel still starting their messages at once
ANSWERING = AHEAD + 1  # windows of one channel on their way, one storing its answers included
STARTED_POLL_S = 0.02


class DispatchBackground:
    def __init__(
        self,
        broadcasts: BroadcastRepository,
        single_messages: SingleMessageRepository,
        leases: AsyncCollection[Document],
        handle: Callable[[object], Awaitable[object]],
        poll_interval_s: float = 0.5,
        clock: Clock = utc_now,
    ) -> None:
        self._broadcasts = broadcasts
        self._single_messages = single_messages
        self._leases = leases
        self._handle = handle
        self._poll = poll_interval_s
        self._clock = clock
        self._senders: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dispatch-background")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._senders.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self._pass()
            except Exception as exc:  # the store may be away: try again at the next pass
                log.warning("dispatch_pass_failed", error=repr(exc))
            await asyncio.sleep(self._poll)

    async def _pass(self) -> None:
        while await self._handle(ApplyStatusReports()) == STATUS_BATCH:
            pass  # more are waiting
        await self.resolve_due()
        channels = {*await self._broadcasts.channels_sending(),
                    *await self._single_messages.channels_waiting()}  # fmt: skip
        for channel_id in channels:
            sender = self._senders.get(channel_id)
            if sender is None or sender.done():
                self._senders[channel_id] = asyncio.create_task(
                    self._send(channel_id), name=f"sender:{channel_id}"
                )

    async def resolve_due(self) -> None:
        """Resolves the broadcasts whose time came. One replica resolves at a time (a lease,
        renewed while it works): two resolving one broadcast would write its buckets over each
        other. A holder that cannot renew (the store away for the lease's whole life) stops; the
        next holder starts that broadcast's resolution again from the start, as after a crash."""
        due = await self._broadcasts.due(self._clock())
        if not due:
            return
        lease = RelayLease(self._leases, "resolver", LEASE_TTL)
        if not await lease.acquire():
            return  # another replica resolves
        work = asyncio.create_task(self._resolve_each(due))
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=RENEW_EVERY_S)
                if not work.done() and not await lease.acquire():
                    work.cancel()  # lost: another replica has taken over
            with contextlib.suppress(asyncio.CancelledError):
                await work
        finally:
            work.cancel()
            await lease.release()

    async def _resolve_each(self, due: list[Broadcast]) -> None:
        for broadcast in due:
            await self._handle(ResolveBroadcast(broadcast.org_id, broadcast.id))

    async def _send(self, channel_id: str) -> None:
        """Takes the channel's broadcasts in turn, a window of each at a time, and hands each
        window over in a task of its own. The windows start their messages one after the
        other (the pacer's `window_turn`), and the next window is taken as soon as fewer than
        `AHEAD` are starting, not once their answers are stored: one window sends while the
        next waits ready, and a take (a bucket read and written behind the service's other
        writes, at times a second) never leaves the channel idle. The pacer keeps all their
        messages to the channel's rate together."""
        lease = RelayLease(self._leases, f"channel:{channel_id}", LEASE_TTL)
        if not await lease.acquire():
            return  # another replica sends on this channel
        handing: dict[asyncio.Future[object], Window] = {}
        try:
            while True:
                singles = await self._send_singles(channel_id)
                broadcasts = await self._broadcasts.sending_on(channel_id)
                if not broadcasts and not singles.waiting:
                    break
                taken = singles.handed
                for broadcast in broadcasts:
                    # Renewed before every window and while waiting: a slow window (a
                    # throttled channel) must not let the lease lapse under it.
                    if not await self._wait_for_room(channel_id, handing, lease):
                        return  # lost: another replica took over
                    if not await lease.acquire():
                        return
                    taken += (await self._send_singles(channel_id)).handed
                    window = await self._handle(TakeWindow(broadcast.org_id, broadcast.id))
                    if not isinstance(window, Window):
                        continue
                    taken += 1
                    handing[asyncio.ensure_future(self._handle(HandOver(window)))] = window
                if not taken:  # paused, racing, on their way, or retries not due yet
                    await asyncio.sleep(self._poll if not handing else 0.05)
                    _forget_done(channel_id, handing)
        except Exception as exc:
            log.warning("sender_failed", channel_id=channel_id, error=repr(exc))
        finally:
            if handing:
                _log_failures(channel_id, set((await asyncio.wait(handing))[0]))
            await lease.release()

    async def _wait_for_room(
        self,
        channel_id: str,
        handing: dict[asyncio.Future[object], Window],
        lease: RelayLease,
    ) -> bool:
        """Until fewer than `AHEAD` windows are starting and fewer than `ANSWERING` are on
        their way; False when the lease was lost meanwhile."""
        renewed = time.monotonic()
        while True:
            _forget_done(channel_id, handing)
            starting = sum(not w.started.is_set() for w in handing.values())
            if starting < AHEAD and len(handing) < ANSWERING:
                return True
            if time.monotonic() - renewed >= RENEW_EVERY_S:
                if not await lease.acquire():
                    return False
                renewed = time.monotonic()
            await asyncio.wait(handing, timeout=STARTED_POLL_S, return_when=asyncio.FIRST_COMPLETED)

    async def _send_singles(self, channel_id: str) -> SinglesProgress:
        progress = await self._handle(SendSingleMessages(channel_id))
        assert isinstance(progress, SinglesProgress)
        return progress


def _forget_done(channel_id: str, handing: dict[asyncio.Future[object], Window]) -> None:
    done = {t for t in handing if t.done()}
    for task in done:
        del handing[task]
    _log_failures(channel_id, done)


def _log_failures(channel_id: str, done: set[asyncio.Future[object]]) -> None:
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.warning("hand_over_failed", channel_id=channel_id, error=repr(task.exception()))
