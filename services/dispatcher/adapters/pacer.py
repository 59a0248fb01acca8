"""Each channel held to its rate (`tps`): every message takes the next slot of its channel's
schedule, one interval after the previous one. A sender that fell a little behind (the event
loop busy for a few milliseconds) catches up at once, so a busy process keeps its channel's
rate; one that fell behind by more (`CATCH_UP_S`, a long store write) starts again from now
instead of catching up in a burst, so over any second the rate is exceeded by 5% at most. One
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
# How late a sender may be and still catch up (or one interval, if longer): at 200 messages/s,
# ten slots. Over any second a channel sends at most that much more than its rate.
CATCH_UP_S = 0.05


@dataclass
class _Pace:
    next_slot: float
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
        pace = self._paces.setdefault(channel.id, _Pace(next_slot=now, since=now))
        # Late by less than `CATCH_UP_S` or one interval (the event loop was busy with a
        # store write): the schedule holds, and the slots missed go at once; later than
        # that, it starts again from now.
        slot = pace.next_slot if now - pace.next_slot < max(interval, CATCH_UP_S) else now
        pace.next_slot = slot + interval
        if slot > now:
            await self._sleep(slot - now)

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
        pace = self._paces.setdefault(channel.id, _Pace(next_slot=now, since=now))
        pace.share = max(MIN_SHARE, self.share(channel) / 2)
        pace.since = now
        SLOWDOWNS.labels(channel.type.value).inc()
