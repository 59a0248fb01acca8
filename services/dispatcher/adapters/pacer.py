"""Each channel held to its rate (`tps`): every message takes the next slot of its channel's
schedule, one interval after the previous one. A sender that fell behind (the event loop busy
with a store write or a window's decoding for tens of milliseconds) makes up the slots it
missed, but at most `CATCH_UP_RATE` times the rate, never in a burst: over any second the rate
is exceeded by 25% at most, and over ten seconds the channel gets its rate. (Dropping the slots
missed instead, as this did before, left a busy dispatcher at 174-198/s of a 200/s channel.) A
sender further behind than `MAX_BEHIND_S` (the channel was idle) starts again from now. One
sender per channel runs at a time (the background work's lease), so the schedule of this
process is the channel's.

When the provider throttles (HTTP 429, WhatsApp 130429), the channel slows down: its rate is
halved (down to a twentieth of `tps`), and it recovers by a twentieth of `tps` per second
without throttling (multiplicative decrease, additive increase, as TCP does). RapidPro keeps
sending at full rate and only retries the refused messages later; this backs off instead.

It knows which messages this process has on their way (a window taken and not answered
yet), so the sender can take the next window meanwhile without mistaking them for the window
of a dispatcher that died. It also remembers when each person last got a message on the
channel, so that two broadcasts reaching the same person keep the channel's `pair_interval_s`
between them (WhatsApp refuses a second message within about 6 s: error 131056).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.dispatcher.adapters.metrics import SLOWDOWNS
from services.dispatcher.domain.channels import Channel

MIN_SHARE = 0.05
RECOVERY_PER_S = 0.05  # of tps, per second
PRUNE_OVER = 10_000  # phones remembered per channel before the old ones are forgotten
CATCH_UP_RATE = 1.25  # a late sender's pace, as a multiple of the rate, until it is on time
MAX_BEHIND_S = 1.0  # further behind (or one interval, if longer): the schedule starts again


@dataclass
class _Pace:
    next_slot: float  # the schedule: one interval after the previous message's slot
    earliest: float  # no start before: one catch-up interval after the previous start
    share: float = 1.0  # of the channel's tps currently allowed
    since: float = 0.0  # when `share` was last set


class ChannelPacer:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._paces: dict[str, _Pace] = {}
        self._last_sent: dict[str, dict[str, float]] = {}
        self._in_flight: set[str] = set()
        self._window_turns: dict[str, asyncio.Lock] = {}

    def share(self, channel: Channel) -> float:
        """The part of its rate the channel may use now."""
        pace = self._paces.get(channel.id)
        if pace is None:
            return 1.0
        recovered = pace.share + RECOVERY_PER_S * (self._clock() - pace.since)
        return min(1.0, recovered)

    async def wait_turn(self, channel: Channel) -> None:
        if channel.tps is None:
            return
        now = self._clock()
        interval = 1.0 / (channel.tps * self.share(channel))
        pace = self._paces.setdefault(channel.id, _Pace(next_slot=now, earliest=now, since=now))
        if now - pace.next_slot > max(interval, MAX_BEHIND_S):
            pace.next_slot = now
        slot = max(pace.next_slot, pace.earliest)
        pace.next_slot += interval
        pace.earliest = max(slot, now) + interval / CATCH_UP_RATE
        if slot > now:
            await self._sleep(slot - now)

    def window_turn(self, channel: Channel) -> asyncio.Lock:
        return self._window_turns.setdefault(channel.id, asyncio.Lock())

    def too_soon(self, channel: Channel, phone: str) -> float:
        if not channel.pair_interval_s:
            return 0.0
        last = self._last_sent.get(channel.id, {}).get(phone)
        if last is None:
            return 0.0
        return max(0.0, last + channel.pair_interval_s - self._clock())

    def sent_to(self, channel: Channel, phone: str) -> None:
        """Remembered for the channel's `pair_interval_s` (forgotten after, so memory stays
        the size of a few seconds of sending)."""
        if not channel.pair_interval_s:
            return
        now = self._clock()
        sent = self._last_sent.setdefault(channel.id, {})
        if len(sent) > PRUNE_OVER:
            horizon = now - channel.pair_interval_s
            for old in [p for p, at in sent.items() if at < horizon]:
                del sent[old]
        sent[phone] = now

    def started(self, message_ids: set[str]) -> None:
        self._in_flight |= message_ids

    def finished(self, message_ids: set[str]) -> None:
        self._in_flight -= message_ids

    def in_flight(self, message_id: str) -> bool:
        return message_id in self._in_flight

    def throttled(self, channel: Channel) -> None:
        now = self._clock()
        pace = self._paces.setdefault(channel.id, _Pace(next_slot=now, earliest=now, since=now))
        pace.share = max(MIN_SHARE, self.share(channel) / 2)
        pace.since = now
        SLOWDOWNS.labels(channel.type.value).inc()
