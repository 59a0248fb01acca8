"""Runs `reconcile_field_values` in the background after a field's type changed or it was deleted.

One run per field at a time; a change during a run triggers another. At start it picks up what
a previous process left unfinished (the definition says `values_pending` until done), so a crash
only delays the work.
"""

from __future__ import annotations

from services.contacts.domain.commands import ReconcileFieldValues
from services.contacts.service_layer.field_handlers import reconcile_field_values
from services.contacts.service_layer.unit_of_work import ContactsUnitOfWork
from shared.background import KeyedJobs
from shared.logging import get_logger

log = get_logger(__name__)


class FieldValuesWorker:
    def __init__(self, uow: ContactsUnitOfWork) -> None:
        self._uow = uow
        self._jobs: KeyedJobs[tuple[str, str]] = KeyedJobs("field_values", self._follow)

    async def start(self) -> None:
        for org_id, key in await self._uow.fields.pending():
            self.schedule(org_id, key)

    def schedule(self, org_id: str, key: str) -> None:
        self._jobs.schedule((org_id, key))

    async def idle(self) -> None:
        await self._jobs.idle()

    async def stop(self) -> None:
        await self._jobs.stop()

    async def _follow(self, job: tuple[str, str]) -> bool:
        org_id, key = job
        report = await reconcile_field_values(ReconcileFieldValues(org_id, key), self._uow)
        if report is not None:
            log.info(
                "field_values_followed",
                org_id=org_id,
                key=key,
                converted=report.converted,
                cleared=report.cleared,
            )
        # Not finished while the definition still says so (changed meanwhile, or the event
        # is not yet published).
        definition = await self._uow.fields.get(org_id, key, deleted=True)
        return definition is None or not definition.values_pending
