"""An import's counters and waiting batches on the real store, read the way the importer does
after every answer: the counters are the sum of every batch's own, whatever the order batches
are answered in; the first done batches are folded into one document so that a settle reads
only the batches after them; two readers moving the fold at once lose nothing; the fold is
never taken for a batch of the job."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from services.importer.adapters.import_repository import MongoImportRepository, fold_id
from services.importer.domain.job import ImportJob
from shared.contracts.imports import ImportContactRows, ImportedRow
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.import_jobs import new_job
from tests.support.scratch import scratch_database

BATCHES = 6


@pytest.fixture
async def imports(settings: ServiceSettings) -> AsyncIterator[MongoImportRepository]:
    async with scratch_database(settings, f"counters_{uuid.uuid4().hex[:6]}") as (_, db):
        repository = MongoImportRepository(db, OutboxWakeup())
        await repository.create_indexes()
        yield repository


async def write(imports: MongoImportRepository, job: ImportJob, n: int) -> None:
    """Batch `n`: 10 rows read, `n` of them failed at reading, the rest sent."""
    rows = [ImportedRow(row=n * 10 + r, phone=f"+25471{n:03d}{r:04d}") for r in range(10 - n)]
    command = ImportContactRows(import_id=job.id, batch=n, mode="upsert", opt_in=False, rows=rows)
    await imports.write_batch(
        job,
        n,
        last_row=n * 10 + 9,
        command=command,
        originals={},
        groups={},
        report=[],
        counters={"read": 10, "failed": n},
    )


async def answer(imports: MongoImportRepository, job: ImportJob, n: int, state: str) -> None:
    """The contacts service's answer: every sent row created."""
    counters = {"read": 10, "failed": n, "created": 10 - n}
    await imports.move_batch(job.id, n, state=state, counters=counters)


async def through(imports: MongoImportRepository, job: ImportJob) -> int:
    fold = await imports.batches.find_one({"_id": fold_id(job.id)})
    return int(fold["through"]) if fold else 0


async def test_counters_sum_every_batch_whatever_the_order_of_answers(
    imports: MongoImportRepository,
) -> None:
    job, other = new_job(), new_job()
    for n in range(1, BATCHES + 1):
        await write(imports, job, n)
    await write(imports, other, 1)
    await answer(imports, other, 1, "done")
    assert await imports.waiting(job.id) == BATCHES
    assert await imports.waiting(job.id, "sent") == BATCHES

    created = 0
    # Answered out of order; batch 4 waits for the groups service a while.
    for n, state in [(2, "done"), (1, "done"), (4, "groups"), (3, "done"), (6, "done")]:
        await answer(imports, job, n, state)
        created += 10 - n
        counters = await imports.counters(job.id)
        # Rows failed at reading were counted when each batch was stored.
        assert (counters.rows_read, counters.created, counters.failed) == (60, created, 21)
    assert await through(imports, job) == 3  # 1-3 done; 4 waits for the groups service
    assert await imports.waiting(job.id) == 2
    assert await imports.waiting(job.id, "sent") == 1
    assert await imports.waiting(job.id, "groups") == 1

    await imports.move_batch(job.id, 4, state="done")
    await answer(imports, job, 5, "done")
    counters = await imports.counters(job.id)
    assert (counters.rows_read, counters.created, counters.failed) == (60, 39, 21)
    assert await through(imports, job) == BATCHES
    assert await imports.counters(job.id) == counters  # from the fold alone now
    assert await imports.waiting(job.id) == 0
    assert (await imports.last_batch(job.id) or {}).get("n") == BATCHES
    other_counters = await imports.counters(other.id)
    assert (other_counters.rows_read, other_counters.created) == (10, 9)


async def test_two_readers_moving_the_fold_at_once_count_each_batch_once(
    imports: MongoImportRepository,
) -> None:
    job = new_job()
    for n in range(1, BATCHES + 1):
        await write(imports, job, n)
        await answer(imports, job, n, "done")
    # A reader that read the fold at 0 comes second: its move finds the fold moved.
    assert (await imports.counters(job.id)).created == 39
    await imports._fold(job.id, 0, 2, {"read": 20, "created": 17, "failed": 3})
    assert await through(imports, job) == BATCHES
    assert (await imports.counters(job.id)).created == 39
