"""Background jobs keyed by what they work on (a field, a smart group): one run per key at a time;
scheduling a key while it runs asks for another run after it. A run that fails or reports "not
finished yet" is retried with a growing pause, so store trouble only delays the work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from shared.logging import get_logger

log = get_logger(__name__)
MAX_BACKOFF_S = 10.0

Key = TypeVar("Key", bound=Hashable)


class KeyedJobs(Generic[Key]):
    def __init__(self, name: str, run: Callable[[Key], Awaitable[bool]]) -> None:
        """`run(key)` does the work and returns True once nothing is left to do for the key."""
        self._name = name
        self._run_once = run
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._again: set[Key] = set()

    def schedule(self, key: Key) -> None:
        running = self._tasks.get(key)
        if running is not None and not running.done():
            self._again.add(key)
            return
        self._tasks[key] = asyncio.create_task(self._run(key), name=f"{self._name}:{key}")

    async def idle(self) -> None:
        """Waits until no run is in progress (tests use it)."""
        while tasks := [t for t in self._tasks.values() if not t.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, key: Key) -> None:
        backoff = 0.2
        while True:
            self._again.discard(key)
            try:
                finished = await self._run_once(key)
            except Exception as exc:
                log.warning(f"{self._name}_failed", key=str(key), error=repr(exc))
            else:
                if finished and key not in self._again:
                    return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
