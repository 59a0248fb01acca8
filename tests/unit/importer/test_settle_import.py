"""SettleImport (sent by the worker for jobs already read): a job ends once read and every
batch answered, whoever notices first; until then its progress is published, at most once
every PROGRESS_EVERY whatever the rate of replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.importer.domain.commands import FailImport, SettleImport
from services.importer.domain.job import PROGRESS_EVERY, ImportOptions
from shared.contracts.imports import (
    ImportCompleted,
    ImportContactRows,
    ImportCounters,
    ImportProgressed,
)
from tests.fakes.importer import (
    FakeImporter,
    WorkerKilled,
    contact_rows_imported,
    fake_importer,
    kill_the_worker,
    people,
)


async def settle(importer: FakeImporter, import_id: str) -> None:
    await importer.bus.handle(SettleImport(import_id))


async def read_and_upserted(importer: FakeImporter) -> str:
    """A job read into two batches, neither answered (upsert: no group step)."""
    return await importer.start_and_read(people(3), options=ImportOptions(mode="upsert"))


async def test_a_job_read_and_answered_completes_on_settle(importer: FakeImporter) -> None:
    """The reply was stored but its handler died before settling: the worker's scan ends it."""
    job_id = await read_and_upserted(importer)
    for command in importer.imports.published(ImportContactRows, job_id):
        await importer.uow.imports.move_batch(
            job_id, command.batch, state="done", counters={"read": len(command.rows), "created": 1}
        )

    await settle(importer, job_id)

    job = importer.imports.job(job_id)
    assert (job.status, job.finished_at) == ("completed", importer.clock.now)
    [completed] = importer.imports.published(ImportCompleted, job_id)
    assert (completed.status, completed.total_rows) == ("completed", 3)
    assert completed.counters == ImportCounters(rows_read=3, created=2)


async def test_a_job_with_a_batch_unanswered_only_progresses(importer: FakeImporter) -> None:
    job_id = await read_and_upserted(importer)
    first, _ = importer.imports.published(ImportContactRows, job_id)
    await importer.deliver(contact_rows_imported(first))
    importer.clock.advance(PROGRESS_EVERY)

    await settle(importer, job_id)

    assert importer.imports.job(job_id).status == "importing"
    assert importer.imports.published(ImportProgressed, job_id)[-1].counters == ImportCounters(
        rows_read=3, created=2
    )


async def test_a_job_not_read_to_the_end_does_not_complete(tmp_path: Path) -> None:
    """Every batch sent so far answered is not enough while the reader may send more."""
    importer = fake_importer(tmp_path, max_in_flight=1)
    job = await importer.start(people(3), options=ImportOptions(mode="upsert"))
    importer.runner.respond = kill_the_worker
    with pytest.raises(WorkerKilled):
        await importer.run(job.id)
    await importer.answer_all(job.id)

    await settle(importer, job.id)

    assert [b["state"] for b in importer.imports.batches(job.id)] == ["done"]
    assert importer.imports.job(job.id).status == "importing"
    assert importer.imports.published(ImportCompleted, job.id) == []


async def test_progress_is_published_at_most_once_every_progress_every(
    importer: FakeImporter,
) -> None:
    job_id = await read_and_upserted(importer)  # reading settles once: the first progress
    assert len(importer.imports.published(ImportProgressed, job_id)) == 1

    await settle(importer, job_id)
    importer.clock.advance(PROGRESS_EVERY / 2)
    await settle(importer, job_id)
    assert len(importer.imports.published(ImportProgressed, job_id)) == 1

    importer.clock.advance(PROGRESS_EVERY / 2)
    await settle(importer, job_id)
    progressed = importer.imports.published(ImportProgressed, job_id)
    assert [p.at for p in progressed] == [importer.clock.now - PROGRESS_EVERY, importer.clock.now]
    assert progressed[-1].total_rows == 3


async def test_a_finished_job_is_left_as_it_is(importer: FakeImporter) -> None:
    job_id = await read_and_upserted(importer)
    await importer.answer_all(job_id)
    assert importer.imports.job(job_id).status == "completed"
    outbox, version = list(importer.imports.outbox), importer.imports.job(job_id).version
    importer.clock.advance(PROGRESS_EVERY * 5)

    await settle(importer, job_id)
    await settle(importer, "no-such-import")

    assert importer.imports.outbox == outbox
    assert importer.imports.job(job_id).version == version


async def test_settling_a_job_read_to_the_end_lets_its_upload_go(importer: FakeImporter) -> None:
    """The process died between reading the file and letting it go: the next settle does."""
    job_id = await read_and_upserted(importer)
    importer.files.put(job_id, "name,phone\n")  # as if the run had stopped before deleting it

    await settle(importer, job_id)

    assert not importer.files.path(job_id).exists()


async def test_a_job_its_run_keeps_crashing_on_fails_with_the_reason(
    importer: FakeImporter,
) -> None:
    job_id = await read_and_upserted(importer)

    await importer.bus.handle(FailImport(job_id, "the import stopped on an unexpected error"))

    job = importer.imports.job(job_id)
    assert (job.status, job.error) == ("failed", "the import stopped on an unexpected error")
    assert not importer.files.path(job_id).exists()
    assert len(importer.imports.published(ImportCompleted, job_id)) == 1
