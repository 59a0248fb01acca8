"""The retention of error reports: an ended import's report (its failed rows, with their cells
as they were in the file) is deleted once the retention after the job's end is over, the job
says when, and an import still within its retention, or not ended, keeps its report."""

from __future__ import annotations

from datetime import timedelta

from services.importer.domain.commands import CancelImport, DeleteExpiredReports
from services.importer.domain.job import ImportOptions
from shared.contracts.imports import ImportContactRows, RowOutcome
from tests.fakes.importer import ADMIN, FakeImporter, contact_rows_imported, csv_file

RETENTION = timedelta(days=30)


def with_a_bad_row() -> str:
    return csv_file(("name", "phone"), ("Amina", "+254712000001"), ("Bad", "not a phone"))


async def ended_import(importer: FakeImporter) -> str:
    """Row 3's phone refused by the contacts service: the report holds it, as in the file."""
    job_id = await importer.start_and_read(with_a_bad_row(), options=ImportOptions(mode="upsert"))
    [command] = importer.imports.published(ImportContactRows, job_id)
    refused = RowOutcome(row=3, outcome="failed", code="invalid_phone")
    await importer.deliver(contact_rows_imported(command, exceptions=[refused]))
    assert importer.imports.job(job_id).finished
    return job_id


async def expire(importer: FakeImporter) -> int:
    deleted: int = await importer.bus.handle(
        DeleteExpiredReports(ended_before=importer.clock() - RETENTION)
    )
    return deleted


async def test_a_report_goes_once_its_retention_after_the_end_is_over(
    importer: FakeImporter,
) -> None:
    job_id = await ended_import(importer)
    assert [row["original"] for row in importer.imports.report(job_id)] == [["Bad", "not a phone"]]

    importer.clock.advance(RETENTION - timedelta(minutes=1))
    assert await expire(importer) == 0
    assert importer.imports.report(job_id)

    importer.clock.advance(timedelta(minutes=2))
    assert await expire(importer) == 1
    assert importer.imports.report(job_id) == []
    job = importer.imports.job(job_id)
    assert job.report_deleted_at == importer.clock()
    assert job.status == "completed"  # the job itself stays, with its counters
    assert await expire(importer) == 0  # once


async def test_an_import_not_ended_keeps_its_cells(importer: FakeImporter) -> None:
    job_id = await importer.start_and_read(with_a_bad_row(), options=ImportOptions(mode="upsert"))
    [command] = importer.imports.published(ImportContactRows, job_id)
    importer.clock.advance(RETENTION * 2)
    assert await expire(importer) == 0
    assert not importer.imports.job(job_id).finished
    assert (await importer.uow.imports.batch_cells(job_id, command.batch))["originals"]


async def test_a_cancelled_import_loses_the_cells_of_batches_never_answered(
    importer: FakeImporter,
) -> None:
    job_id = await importer.start_and_read(with_a_bad_row(), options=ImportOptions(mode="upsert"))
    await importer.bus.handle(CancelImport(by=ADMIN, import_id=job_id))
    [pending] = importer.pending_contact_rows(job_id)
    assert (await importer.uow.imports.batch_cells(job_id, pending.batch))["originals"]

    importer.clock.advance(RETENTION + timedelta(seconds=1))
    assert await expire(importer) == 1
    assert (await importer.uow.imports.batch_cells(job_id, pending.batch))["originals"] == {}
    assert importer.imports.report(job_id) == []
