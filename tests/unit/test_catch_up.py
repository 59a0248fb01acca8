"""Reading your writes across services: a request waits for what its projection has not heard
of yet, as long as more may come, and only that long."""

from __future__ import annotations

import asyncio

import pytest

from shared.catch_up import ProjectionCatchUp, once_known
from shared.errors import DomainError


class Unknown(DomainError):
    code = "unknown_property"


class Broken(DomainError):
    code = "syntax"


async def test_it_waits_while_the_consumer_brings_news_and_answers_once_ready() -> None:
    catch_up = ProjectionCatchUp(grace_s=0.2, max_wait_s=5, recheck_s=0.01)
    known: set[str] = set()

    async def arrive() -> None:
        for _ in range(5):
            await asyncio.sleep(0.02)
            catch_up.handled()
        known.add("c1")
        catch_up.handled()

    async def ready() -> bool:
        return "c1" in known

    arriving = asyncio.create_task(arrive())
    assert await catch_up.until(ready) is True
    await arriving


async def test_it_gives_up_once_the_consumer_has_been_caught_up_for_the_grace() -> None:
    catch_up = ProjectionCatchUp(grace_s=0.05, max_wait_s=30, recheck_s=0.01)
    loop = asyncio.get_running_loop()

    async def idle() -> None:
        while True:
            catch_up.caught_up()
            await asyncio.sleep(0.01)

    async def never() -> bool:
        return False

    polling = asyncio.create_task(idle())
    started = loop.time()
    assert await catch_up.until(never) is False
    polling.cancel()
    assert loop.time() - started < 5  # the grace, not the maximum


async def test_it_gives_up_after_the_maximum_while_news_keeps_coming() -> None:
    catch_up = ProjectionCatchUp(grace_s=0.01, max_wait_s=0.2, recheck_s=0.01)

    async def busy() -> None:
        while True:
            catch_up.handled()
            await asyncio.sleep(0.01)

    async def never() -> bool:
        return False

    working = asyncio.create_task(busy())
    assert await catch_up.until(never) is False
    working.cancel()


async def test_once_known_retries_only_what_is_not_heard_of_yet() -> None:
    catch_up = ProjectionCatchUp(grace_s=1, max_wait_s=5, recheck_s=0.01)
    attempts: list[int] = []

    async def parse() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise Unknown("no field score")
        return "parsed"

    assert await once_known(parse, catch_up, ("unknown_property",)) == "parsed"
    assert len(attempts) == 3

    async def broken() -> str:
        raise Broken("bad syntax")

    with pytest.raises(Broken):  # not a matter of waiting: refused at once
        await once_known(broken, catch_up, ("unknown_property",))


async def test_once_known_lets_the_last_refusal_stand_when_it_never_comes() -> None:
    catch_up = ProjectionCatchUp(grace_s=0.02, max_wait_s=0.1, recheck_s=0.01)

    async def parse() -> str:
        raise Unknown("no field score")

    with pytest.raises(Unknown):
        await once_known(parse, catch_up, ("unknown_property",))


def test_the_grace_follows_how_late_events_have_been_arriving() -> None:
    moments = iter([0.0, 1.0, 50.0])
    catch_up = ProjectionCatchUp(grace_s=1.0, max_wait_s=10.0, clock=lambda: next(moments))
    assert catch_up.grace_s == 1.0  # quiet: the floor
    catch_up.handled(lag_s=2.5)  # at t=0: events take 2.5 s from write to here
    assert catch_up.grace_s == 5.0
    catch_up.handled(lag_s=30.0)  # at t=1: far behind, but never beyond the maximum
    assert catch_up.grace_s == 10.0
    catch_up.handled(lag_s=0.1)  # at t=50: the slow moments are forgotten
    assert catch_up.grace_s == 1.0


async def test_a_consumer_that_can_no_longer_tell_is_not_taken_for_idle() -> None:
    """Caught up, then a rebalance (or a restart): no early "unknown" on stale silence."""
    catch_up = ProjectionCatchUp(grace_s=0.02, max_wait_s=0.3, recheck_s=0.01)
    catch_up.caught_up()
    catch_up.lost()
    loop = asyncio.get_running_loop()

    async def never() -> bool:
        return False

    started = loop.time()
    assert await catch_up.until(never) is False
    assert loop.time() - started >= 0.25  # waited for the maximum, not the grace


async def test_the_wait_never_runs_past_the_maximum_however_slow_the_check() -> None:
    catch_up = ProjectionCatchUp(grace_s=10, max_wait_s=0.3, recheck_s=0.01)
    loop = asyncio.get_running_loop()

    async def slow_and_never() -> bool:
        await asyncio.sleep(0.12)  # a check of thousands of ids
        return False

    started = loop.time()
    assert await catch_up.until(slow_and_never) is False
    assert loop.time() - started < 0.3 + 0.12 + 0.1  # at most one check past the deadline
