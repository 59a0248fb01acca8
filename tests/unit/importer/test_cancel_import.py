"""CancelImport: reading stops at the next batch; what was already sent is still answered by
the contacts service, and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.importer.domain.commands import CancelImport
from services.importer.domain.job import ImportJob
from shared.auth import Principal
from shared.contracts.imports import (
    ImportCompleted,
    ImportContactRows,
    ImportCounters,
    ImportGroupMembers,
)
from shared.errors import DomainError
from tests.fakes.importer import (
    ADMIN,
    OTHER_ORG_ADMIN,
    FakeImporter,
    FakeImportRepository,
    FakeOrgDirectory,
    contact_rows_imported,
    fake_importer,
    people,
    rows_of,
)


async def cancel(importer: FakeImporter, import_id: str, by: Principal = ADMIN) -> ImportJob:
    job: ImportJob = await importer.bus.handle(CancelImport(by=by, import_id=import_id))
    return job


async def test_a_queued_job_is_cancelled_and_never_read(importer: FakeImporter) -> None:
    job = await importer.start(people(3))

    cancelled = await cancel(importer, job.id)
    await importer.run(job.id)

    assert cancelled.status == importer.imports.job(job.id).status == "cancelled"
    assert importer.imports.job(job.id).finished_at == importer.clock.now
    [completed] = importer.imports.published(ImportCompleted, job.id)
    assert completed.status == "cancelled"
    assert importer.imports.published(ImportContactRows, job.id) == []


async def test_another_organisations_import_is_not_found(importer: FakeImporter) -> None:
    job = await importer.start(people(3))

    with pytest.raises(DomainError) as refused:
        await cancel(importer, job.id, by=OTHER_ORG_ADMIN)

    assert refused.value.code == "not_found"
    assert importer.imports.job(job.id).status == "queued"


async def test_a_finished_import_cannot_be_cancelled(importer: FakeImporter) -> None:
    job = await importer.start(people(3))
    await cancel(importer, job.id)

    with pytest.raises(DomainError) as refused:
        await cancel(importer, job.id)

    assert refused.value.code == "import_finished"
    assert len(importer.imports.published(ImportCompleted, job.id)) == 1


async def test_cancelling_stops_reading_and_batches_already_sent_are_still_counted(
    tmp_path: Path,
) -> None:
    importer = fake_importer(tmp_path, max_in_flight=1)
    job = await importer.start(people(6))

    async def cancel_while_the_reader_waits() -> None:
        await cancel(importer, job.id)

    importer.runner.respond = cancel_while_the_reader_waits
    await importer.run(job.id)
    [first] = importer.imports.published(ImportContactRows, job.id)
    await importer.deliver(contact_rows_imported(first))

    assert rows_of([first]) == [2, 3]  # nothing read after the cancel
    assert importer.imports.job(job.id).status == "cancelled"
    assert await importer.uow.imports.counters(job.id) == ImportCounters(rows_read=2, created=2)
    assert [c.batch for c in importer.imports.published(ImportGroupMembers, job.id)] == [1]
    [completed] = importer.imports.published(ImportCompleted, job.id)
    assert completed.counters == ImportCounters(rows_read=2)  # as it was when cancelled


class AnotherWriterFirst(FakeImportRepository):
    """The first save of a job loses to another writer (a reply settling it) who saved since."""

    def __init__(self) -> None:
        super().__init__()
        self.raced = False

    async def save(self, job: ImportJob, expected_version: int) -> bool:
        if not self.raced:
            self.raced = True
            other = self.job(job.id)
            other.progressed(await self.counters(job.id), other.created_at)
            await super().save(other, expected_version)
        return await super().save(job, expected_version)


async def test_a_cancel_that_loses_a_race_is_applied_again_without_undoing_the_other(
    tmp_path: Path,
) -> None:
    importer = fake_importer(tmp_path, imports=AnotherWriterFirst())
    job = await importer.start(people(3))

    await cancel(importer, job.id)

    stored = importer.imports.job(job.id)
    assert (stored.status, stored.progress_at) == ("cancelled", job.created_at)
    assert importer.imports.event_types(job.id) == ["ImportProgressed", "ImportCompleted"]


async def test_a_job_cancelled_while_it_is_validated_stays_cancelled(tmp_path: Path) -> None:
    directory = FakeOrgDirectory()
    importer = fake_importer(tmp_path, directory=directory)
    job = await importer.start(people(3))

    async def cancel_once() -> None:
        """Validation reads the organisation's fields: the user cancels meanwhile."""
        directory.on_read = None
        await cancel(importer, job.id)

    directory.on_read = cancel_once
    await importer.run(job.id)

    assert importer.imports.job(job.id).status == "cancelled"
    assert importer.imports.published(ImportContactRows, job.id) == []
    assert importer.imports.event_types(job.id) == ["ImportCompleted"]
