"""Changing a job safely while the worker, the reply consumer and the API all touch it, and
settling it: ending it once every batch is answered, or reporting its progress."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from services.importer.domain.commands import DeleteExpiredReports, FailImport, SettleImport
from services.importer.domain.job import PROGRESS_EVERY, ImportJob
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork

MAX_ATTEMPTS = 20


async def mutate_job(
    uow: ImportsUnitOfWork, job_id: str, change: Callable[[ImportJob], object]
) -> ImportJob | None:
    """Applies `change` to the current job and stores it, retrying when another writer won."""
    for attempt in range(MAX_ATTEMPTS):
        job = await uow.imports.get(job_id)
        if job is None:
            return None
        read_version = job.version
        change(job)
        if job.version == read_version or await uow.imports.save(job, read_version):
            return job
        await asyncio.sleep(random.uniform(0, 0.01 * (attempt + 1)))
    raise RuntimeError(f"import {job_id} kept changing under a write")


async def settle_import(cmd: SettleImport, uow: ImportsUnitOfWork) -> None:
    await settle(cmd.import_id, uow)


async def fail_import(cmd: FailImport, uow: ImportsUnitOfWork) -> None:
    """Ends a job its run keeps crashing on (a bug, not the file): it fails with the reason
    instead of being retried for ever, and its upload goes."""
    counters = await uow.imports.counters(cmd.import_id)
    await mutate_job(uow, cmd.import_id, lambda j: j.fail(cmd.reason, counters, uow.clock()))
    uow.files.delete(cmd.import_id)


async def delete_expired_reports(cmd: DeleteExpiredReports, uow: ImportsUnitOfWork) -> int:
    """The retention of error reports: each ended import's report rows (and any batch cells
    left, of a batch never answered) are deleted, then the job says so; a crash between the
    two deletes the rest next time. Returns how many reports went."""
    expired = await uow.imports.ended_with_report(cmd.ended_before)
    for import_id in expired:
        last = await uow.imports.last_batch(import_id)
        await uow.imports.delete_report(import_id, int(last["n"]) if last else 0)
        await mutate_job(uow, import_id, lambda j: j.report_deleted(uow.clock()))
    return len(expired)


async def settle(import_id: str, uow: ImportsUnitOfWork) -> None:
    """Ends the job once it is read and every batch is answered; else publishes progress
    (at most about once a second). The upload goes once the job is read (each batch keeps its
    rows' cells) or has ended, whoever settles it: a crash between reading and letting the
    file go leaves nothing behind for long."""
    job = await uow.imports.get(import_id)
    if job is None or job.finished or job.reading_done:
        uow.files.delete(import_id)
    if job is None or job.finished:
        return
    now = uow.clock()
    if job.reading_done and await uow.imports.waiting(import_id) == 0:
        counters = await uow.imports.counters(import_id)
        await mutate_job(uow, import_id, lambda j: j.complete(counters, now))
    elif job.progress_at is None or now - job.progress_at >= PROGRESS_EVERY:
        counters = await uow.imports.counters(import_id)
        await mutate_job(uow, import_id, lambda j: j.progressed(counters, now))
