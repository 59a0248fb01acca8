"""The pacer: a channel's messages one interval apart, a busy event loop's small delays
absorbed without a burst, throttling halving the rate and time restoring it, and the pair
interval per person."""

from __future__ import annotations

from datetime import UTC, datetime

from services.dispatcher.adapters.pacer import ChannelPacer
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


async def test_a_delay_under_one_interval_keeps_the_cadence_a_longer_one_starts_again() -> None:
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    assert await starts(pacer, time, channel(10), 3, work_s=0.15) == [0.0, 0.15, 0.3]
    time.now += 0.5  # a long pause (a store write): no burst to catch up
    assert await starts(pacer, time, channel(10), 2) == [0.95, 1.05]


async def test_a_fast_channel_catches_up_a_busy_moment_without_a_long_burst() -> None:
    time = Time()
    pacer = ChannelPacer(clock=time, sleep=time.sleep)
    fast = channel(200)  # one every 5 ms
    assert await starts(pacer, time, fast, 2) == [0.0, 0.005]
    time.now += 0.025  # the event loop was busy: the next slot (0.01) was missed by 20 ms
    assert await starts(pacer, time, fast, 6) == [0.03, 0.03, 0.03, 0.03, 0.03, 0.035]
    time.now += 0.5  # far behind: it starts again from now, no burst of a hundred
    assert await starts(pacer, time, fast, 2) == [0.535, 0.54]


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
