"""The flows service's background work: runs whose wait timed out or whose flow expired them,
woken through the service's bus (`WakeRuns`) every `poll_interval_s`, as long as there are."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from services.flows.domain.commands import WAKE_BATCH, WakeRuns
from shared.logging import get_logger

log = get_logger(__name__)


class FlowsBackground:
    def __init__(
        self, handle: Callable[[object], Awaitable[object]], poll_interval_s: float = 1.0
    ) -> None:
        self._handle = handle
        self._poll = poll_interval_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="flows-background")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while await self._handle(WakeRuns()) == WAKE_BATCH:
                    pass  # more are due
            except Exception as exc:  # the store may be away: try again at the next pass
                log.warning("wake_runs_failed", error=repr(exc))
            await asyncio.sleep(self._poll)
