"""Runs `reconcile_field_values` in the background after a field's type changed or it was deleted.

One run per field at a time; a change during a run triggers another. At start it picks up what
a previous process left unfinished (the definition says `values_pending` until done), so a crash
only delays the work.
"""

from __future__ import annotations

import asyncio
import contextlib

from services.contacts.domain.commands import ReconcileFieldValues
from services.contacts.service_layer.field_handlers import reconcile_field_values
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)
MAX_BACKOFF_S = 10.0


class FieldValuesWorker:
    def __init__(self, uow: ContactsUnitOfWork) -> None:
        self._uow = uow
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str]] = set()

    async def start(self) -> None:
        for org_id, key in await self._uow.fields.pending():
            self.schedule(org_id, key)

    def schedule(self, org_id: str, key: str) -> None:
        job = (org_id, key)
        running = self._tasks.get(job)
        if running is not None and not running.done():
            self._again.add(job)
            return
        self._tasks[job] = asyncio.create_task(self._run(job), name=f"field-values:{key}")

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

    async def _run(self, job: tuple[str, str]) -> None:
        org_id, key = job
        backoff = 0.2
        while True:
            self._again.discard(job)
            try:
                report = await reconcile_field_values(ReconcileFieldValues(org_id, key), self._uow)
                if report is not None:
                    log.info(
                        "field_values_followed",
                        org_id=org_id,
                        key=key,
                        converted=report.converted,
                        cleared=report.cleared,
                    )
                definition = await self._uow.fields.get(org_id, key, deleted=True)
            except Exception as exc:
                log.warning("field_values_failed", org_id=org_id, key=key, error=repr(exc))
            else:
                if job not in self._again and (definition is None or not definition.values_pending):
                    return
            # Not finished (changed meanwhile, event not yet published, or store trouble).
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
