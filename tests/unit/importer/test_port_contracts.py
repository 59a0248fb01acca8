"""What the handlers expect of the ports, pinned where `ports.py` once said less than the
handlers assumed: rows of a batch's cells by number, and uploads let go when a job ends."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from services.importer.domain.job import ImportOptions
from services.importer.service_layer.ports import Record
from shared.contracts.imports import ImportContactRows, ImportGroupMembers, RowOutcome
from tests.fakes.importer import (
    FakeImporter,
    FakeImportRepository,
    contact_rows_imported,
    csv_file,
    fake_importer,
    people,
)


class CellsByRowNumber(FakeImportRepository):
    """`batch_cells` as `ports.py` documents it, `{row: cells}`, rows as `write_batch` took
    them (ints); the reference adapter turns them into strings, as MongoDB keys must be."""

    async def batch_cells(
        self, import_id: str, n: int, originals_of: Collection[int] | None = None
    ) -> Record:
        cells = await super().batch_cells(import_id, n, originals_of)
        return {part: {int(row): v for row, v in cells[part].items()} for part in cells}


async def test_a_repository_keeping_rows_as_numbers_still_reports_cells_and_sends_members(
    tmp_path: Path,
) -> None:
    importer = fake_importer(tmp_path, imports=CellsByRowNumber())
    file = csv_file(("name", "phone"), ("Amina", "+254712000001"), ("Baraka", "+254712000002"))
    job_id = await importer.start_and_read(file, options=ImportOptions(group="Choir"))
    [command] = importer.imports.published(ImportContactRows, job_id)

    failed = RowOutcome(row=3, outcome="failed", code="invalid_value")
    await importer.deliver(contact_rows_imported(command, exceptions=[failed]))

    assert [e["original"] for e in importer.imports.report(job_id)] == [["Baraka", "+254712000002"]]
    assert len(importer.imports.published(ImportGroupMembers, job_id)) == 1


async def test_the_upload_is_let_go_once_the_job_has_ended(importer: FakeImporter) -> None:
    job_id = await importer.start_and_read(people(3))
    await importer.answer_all(job_id)
    assert importer.imports.job(job_id).status == "completed"

    assert not importer.files.path(job_id).exists()
