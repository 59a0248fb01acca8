"""The dispatcher's background work: applying the providers' status reports in batches,
resolving broadcasts whose time came, and one sender per channel with broadcasts to send, each
through the service's bus.

A sender holds its channel's lease (one sender per channel across replicas; a dead holder's
lease expires) and takes the channel's sending broadcasts in turn, a window of each at a time
(round robin: a new broadcast starts at once beside an older one, and neither waits for the
other to finish). It stops when none is left, and the next pass starts it again when there is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from pymongo.asynchronous.collection import AsyncCollection

from services.dispatcher.domain.commands import ApplyStatusReports, ResolveBroadcast, SendNext
from services.dispatcher.service_layer.ports import BroadcastRepository
from services.dispatcher.service_layer.sending import SendProgress
from services.dispatcher.service_layer.status_reports import BATCH as STATUS_BATCH
from shared.clock import Clock, utc_now
from shared.logging import get_logger
from shared.mongo.client import Document
from shared.mongo.relay import RelayLease

log = get_logger(__name__)
LEASE_TTL = timedelta(seconds=10)


class DispatchBackground:
    def __init__(
        self,
        broadcasts: BroadcastRepository,
        leases: AsyncCollection[Document],
        handle: Callable[[object], Awaitable[object]],
        poll_interval_s: float = 0.5,
        clock: Clock = utc_now,
    ) -> None:
        self._broadcasts = broadcasts
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
        for broadcast in await self._broadcasts.due(self._clock()):
            await self._handle(ResolveBroadcast(broadcast.org_id, broadcast.id))
        for channel_id in await self._broadcasts.channels_sending():
            sender = self._senders.get(channel_id)
            if sender is None or sender.done():
                self._senders[channel_id] = asyncio.create_task(
                    self._send(channel_id), name=f"sender:{channel_id}"
                )

    async def _send(self, channel_id: str) -> None:
        lease = RelayLease(self._leases, f"channel:{channel_id}", LEASE_TTL)
        if not await lease.acquire():
            return  # another replica sends on this channel
        try:
            while broadcasts := await self._broadcasts.sending_on(channel_id):
                if not await lease.acquire():  # renewed each round; lost: another took over
                    return
                handed = 0
                for broadcast in broadcasts:
                    progress = await self._handle(SendNext(broadcast.org_id, broadcast.id))
                    assert isinstance(progress, SendProgress)
                    handed += progress.handed
                if not handed:  # paused, racing, or every message asked to be retried later
                    await asyncio.sleep(self._poll)
        except Exception as exc:
            log.warning("sender_failed", channel_id=channel_id, error=repr(exc))
        finally:
            await lease.release()
