"""Runs `ReconcileFieldValues` in the background after a field's type changed or it was deleted.

One run per field at a time; a change during a run triggers another. At start it picks up what
a previous process left unfinished (the definition says `values_pending` until done), so a crash
only delays the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.contacts.domain.commands import ReconcileFieldValues
from services.contacts.service_layer.ports import FieldRepository
from shared.background import KeyedJobs


class FieldValuesWorker:
    def __init__(
        self, fields: FieldRepository, handle: Callable[[ReconcileFieldValues], Awaitable[object]]
    ) -> None:
        """`handle`: the service's bus, which the command goes through."""
        self._fields = fields
        self._handle = handle
        self._jobs: KeyedJobs[tuple[str, str]] = KeyedJobs("field_values", self._follow)

    async def start(self) -> None:
        for org_id, key in await self._fields.pending():
            self.schedule(org_id, key)

    def schedule(self, org_id: str, key: str) -> None:
        self._jobs.schedule((org_id, key))

    async def idle(self) -> None:
        await self._jobs.idle()

    async def stop(self) -> None:
        await self._jobs.stop()

    async def _follow(self, job: tuple[str, str]) -> bool:
        org_id, key = job
        await self._handle(ReconcileFieldValues(org_id, key))
        # Not finished while the definition still says so (changed meanwhile, or the event
        # is not yet published).
        definition = await self._fields.get(org_id, key, deleted=True)
        return definition is None or not definition.values_pending
