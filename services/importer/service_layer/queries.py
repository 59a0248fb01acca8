"""Reads (no message goes through the bus for them): a job as its organisation sees it."""

from __future__ import annotations

from services.importer.domain.errors import ImportNotFound
from services.importer.domain.job import ImportJob
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.auth import Principal
from shared.contracts.imports import ImportCounters


async def load(uow: ImportsUnitOfWork, by: Principal, import_id: str) -> ImportJob:
    job = await uow.imports.get(import_id, by.org_id)
    if job is None:
        raise ImportNotFound("import not found", id=import_id)
    return job


async def with_counters(
    uow: ImportsUnitOfWork, by: Principal, import_id: str
) -> tuple[ImportJob, ImportCounters]:
    job = await load(uow, by, import_id)
    return job, await uow.imports.counters(job.id)
