"""The pacer: a channel's messages one interval apart, a busy event loop's small delays
absorbed without a burst, throttling halving the rate and time restoring it, and the pair
interval per person."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from services.dispatcher.adapters.pacer import CATCH_UP_RATE, ChannelPacer
from services.dispatcher.domain.channels import Channel, ChannelType

AT = datetime(2026, 12, 1, tzinfo=UTC)


def channel(tps: int | None, pair_interval_s: float = 0.0) -> Channel:
    return Channel(id="ch", org_id="o", type=ChannelType.HTTP, name="c", tps=tps,
                   pair_interval_s=pair_interval_s, config={}, secrets={},
                   requires_opt_in=False, created_at=AT, updated_at=AT, created_by="a")  # fmt: skip


class Time:
    """A clock the pacer's sleeps move."""

    def __init__(self) -> None:
        self.now = 100.0
        self.starts: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def starts(pacer: ChannelPacer, time: Time, ch: Channel, count: int, work_s: float = 0.0
                 ) -> list[float]:  # fmt: skip
    """When each of `count` messages started, each send taking `work_s` after its turn."""
    started = []
    for _ in range(count):
        await pacer.wait_turn(ch)
        started.append(round(time.now - 100.0, 6))
        time.now += work_s
    return started


async def test_messages_start_one_interval_apart() -> None:
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    assert await starts(pacer, time, channel(10), 4) == [0.0, 0.1, 0.2, 0.3]


async def test_a_delay_under_one_interval_keeps_the_cadence_a_long_idle_starts_again() -> None:
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    assert await starts(pacer, time, channel(10), 3, work_s=0.15) == [0.0, 0.15, 0.3]
    time.now += 2.0  # idle for longer than MAX_BEHIND_S: nothing to make up
    assert await starts(pacer, time, channel(10), 2) == [2.45, 2.55]


async def test_a_late_sender_makes_up_the_slots_it_missed_a_little_faster_never_in_a_burst() -> (
    None
):
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    fast = channel(200)  # one every 5 ms
    assert await starts(pacer, time, fast, 2) == [0.0, 0.005]
    time.now += 0.1  # the event loop was busy for 100 ms: 20 slots missed
    late = await starts(pacer, time, fast, 400)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(late)]
    assert late[0] == 0.105 and min(gaps) >= round(0.005 / CATCH_UP_RATE, 6)  # never a burst
    assert gaps[0] < 0.005 and gaps[-1] == 0.005  # faster, then the schedule again
    assert late[-1] == 0.005 * 401  # every slot missed was made up: on time again


async def test_throttling_halves_the_rate_and_time_restores_it() -> None:
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    ch = channel(10)
    pacer.throttled(ch)
    assert pacer.share(ch) == 0.5
    pacer.throttled(ch)
    assert pacer.share(ch) == 0.25
    time.now += 10  # a twentieth of the rate back per second
    assert pacer.share(ch) == 0.75
    time.now += 100
    assert pacer.share(ch) == 1.0


async def test_an_unlimited_channel_never_waits_and_the_pair_interval_is_kept() -> None:
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    assert await starts(pacer, time, channel(None), 3) == [0.0, 0.0, 0.0]
    whatsapp = channel(80, pair_interval_s=6)
    pacer.sent_to(whatsapp, "+254700000001")
    time.now += 2
    assert pacer.too_soon(whatsapp, "+254700000001") == 4.0
    assert pacer.too_soon(whatsapp, "+254700000002") == 0.0
    pacer.started({"m1"})
    assert pacer.in_flight("m1") and not pacer.in_flight("m2")
    pacer.finished({"m1"})
    assert not pacer.in_flight("m1")
