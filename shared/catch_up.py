"""Reading your own writes across services: a request that names something its service has not
heard of yet (a contact created a moment ago in the contacts service, a field just defined, a
group just created) gives the projection a bounded moment to catch up before it says "unknown".

The writer's event travels through its outbox relay and Kafka to this service's consumer, which
takes milliseconds when all is quiet and seconds under load (a relay busy with a long pass). So
a request waits until what it needs is there, or until it is clear that nothing more is coming:
this service's consumer owns every partition it reads and has found nothing new to read for a
while after the request began, or, in any case, `max_wait_s` passed. Only what is still missing
then is really unknown.

"A while" follows the pipeline: twice the longest delay, over the last half minute, between an
event being written and this consumer handling it (at least `grace_s`), so that a slow relay
under load is not mistaken for silence, and an idle system answers "unknown" in about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol, TypeVar

from shared.errors import DomainError

Ready = Callable[[], Awaitable[bool]]
T = TypeVar("T")


class CatchUp(Protocol):
    """What handlers and views ask before they call something unknown."""

    async def until(self, ready: Ready) -> bool:
        """Re-checks `ready` as the projection moves on; False once it is clear it will not
        become true (the caller then answers "unknown")."""


class ProjectionCatchUp:
    """Told by the service's consumer (`shared.kafka.consumer.ConsumerProgress`) when records
    were handled and when it found nothing new in any of its partitions."""

    LAG_MEMORY_S = 30.0

    def __init__(
        self,
        *,
        grace_s: float = 1.0,
        max_wait_s: float = 10.0,
        recheck_s: float = 0.05,
        fallback_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grace = grace_s
        self._max_wait = max_wait_s
        self._recheck = recheck_s
        self._fallback = fallback_s
        self._clock = clock
        self._idle_since: float | None = None
        self._handled_at = float("-inf")
        self._moved = asyncio.Event()
        self._lags: deque[tuple[float, float]] = deque()  # (when seen, delay in seconds)

    def handled(self, lag_s: float = 0.0) -> None:
        """Records were handled, the oldest `lag_s` after it was written."""
        self._idle_since = None
        now = self._handled_at = self._clock()
        self._lags.append((now, lag_s))
        while self._lags and now - self._lags[0][0] > self.LAG_MEMORY_S:
            self._lags.popleft()
        # Every waiter holds the event it waits on; the next change gets a new one.
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    @property
    def grace_s(self) -> float:
        """How long an idle consumer must stay idle to mean "nothing more is coming"."""
        recent = max((lag for _, lag in self._lags), default=0.0)
        return min(self._max_wait, max(self._grace, 2 * recent))

    def caught_up(self) -> None:
        if self._idle_since is None:
            self._idle_since = self._clock()

    def lost(self) -> None:
        """The consumer cannot tell any more (partitions revoked, a restart): not idle."""
        self._idle_since = None

    async def until(self, ready: Ready) -> bool:
        """Checks again once the consumer has handled something since the last check (or, in
        case the news comes through another replica, every `fallback_s`), and never sooner
        than `recheck_s` or twice as long as the last check took: checks run on the store the
        consumer writes to, and many requests waiting at once must not slow down the very
        consumer they wait for."""
        started = self._clock()
        while True:
            checked = self._clock()
            if await ready():
                return True
            now = self._clock()
            idle = self._idle_since is not None and now - max(self._idle_since, started) >= (
                self.grace_s
            )
            left = self._max_wait - (now - started)
            if idle or left <= 0:
                return False
            await asyncio.sleep(min(left, max(self._recheck, 2 * (now - checked))))
            if self._handled_at <= checked:  # nothing new yet: wait for it, or the fallback
                moved = self._moved
                remaining = self._max_wait - (self._clock() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        moved.wait(), timeout=max(0.0, min(remaining, self._fallback))
                    )


class NoCatchUp:
    """For code that runs later anyway (background work): asks once."""

    async def until(self, ready: Ready) -> bool:
        return await ready()


ASK_ONCE = NoCatchUp()


async def once_known(
    attempt: Callable[[], Awaitable[T]], catch_up: CatchUp, unknown: Collection[str]
) -> T:
    """`attempt()`, tried again as the projection catches up while it fails with one of the
    `unknown` codes (a query naming a field or group not heard of yet); the last refusal
    stands if it never succeeds."""
    try:
        return await attempt()
    except DomainError as exc:
        if exc.code not in unknown:
            raise
        refusal = exc
    result: list[T] = []

    async def ready() -> bool:
        nonlocal refusal
        try:
            result.append(await attempt())
        except DomainError as exc:
            if exc.code not in unknown:
                raise
            refusal = exc
            return False
        return True

    if await catch_up.until(ready):
        return result[0]
    raise refusal
