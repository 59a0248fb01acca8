"""Changing a job safely while the worker, the reply consumer and the API all touch it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from services.importer.domain.job import ImportJob
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
