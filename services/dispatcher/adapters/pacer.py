"""Each channel held to its rate (`tps`): every message takes the next slot of its channel's
schedule, one `1/tps` after the previous one. A sender that fell behind (a slow store write)
starts again from now instead of catching up in a burst, so the rate is never exceeded over any
window. One sender per channel runs at a time (the background work's lease), so the schedule of
this process is the channel's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from services.dispatcher.domain.channels import Channel


class ChannelPacer:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}

    async def wait_turn(self, channel: Channel) -> None:
        if channel.tps is None:
            return
        now = self._clock()
        slot = max(now, self._next.get(channel.id, now))
        self._next[channel.id] = slot + 1.0 / channel.tps
        if slot > now:
            await self._sleep(slot - now)
