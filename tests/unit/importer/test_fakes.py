"""The fakes keep the promises of the reference adapters that the handlers' tests lean on: if a
fake were kinder than the store (a stale save accepted, a batch sent twice, a counter added
twice), those tests would pass over bugs the store would show."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.importer.domain.errors import FileTooLarge
from services.importer.domain.job import ImportJob
from services.importer.service_layer.ports import Record
from shared.contracts.imports import ImportContactRows, ImportCounters, ImportedRow
from tests.fakes.importer import (
    ORG,
    T0,
    FakeFileStore,
    FakeImportRepository,
    FakeImportRunner,
    NoReplyComing,
)
from tests.support.import_jobs import new_job


def a_job(job_id: str = "import-1") -> ImportJob:
    return new_job(job_id, ORG, T0)


def rows_command(n: int) -> ImportContactRows:
    return ImportContactRows(
        import_id="import-1", batch=n, mode="create", opt_in=False, rows=[ImportedRow(row=2)]
    )


async def write(
    imports: FakeImportRepository, n: int, counters: dict[str, int], *, sends: bool = True
) -> None:
    await imports.write_batch(
        a_job(),
        n,
        last_row=n + 1,
        command=rows_command(n) if sends else None,
        originals={n + 1: ["Amina"]},
        groups={},
        report=[],
        counters=counters,
    )


async def test_a_save_at_a_stale_version_stores_nothing() -> None:
    imports = FakeImportRepository()
    await imports.add(a_job())
    first, second = await imports.get("import-1"), await imports.get("import-1")
    assert first is not None and second is not None
    first.start_validating(T0)
    second.cancel(ImportCounters(), T0)

    assert await imports.save(first, 0)
    assert not await imports.save(second, 0)
    assert imports.job("import-1").status == "validating"
    assert imports.event_types("import-1") == []


async def test_a_job_read_is_a_copy_and_other_organisations_do_not_see_it() -> None:
    imports = FakeImportRepository()
    await imports.add(a_job())
    read = await imports.get("import-1", ORG)
    assert read is not None

    read.status = "failed"

    assert imports.job("import-1").status == "queued"
    assert await imports.get("import-1", "org-2") is None


async def test_writing_a_batch_again_neither_sends_nor_resets_it() -> None:
    imports = FakeImportRepository()
    await write(imports, 1, {"read": 1})
    await imports.move_batch("import-1", 1, state="done", counters={"read": 1, "created": 1})

    await write(imports, 1, {"read": 1})

    assert imports.published(ImportContactRows) == [rows_command(1)]
    assert [(b["state"], b["counters"]) for b in imports.batches("import-1")] == [
        ("done", {"read": 1, "created": 1})
    ]


async def test_counters_are_summed_over_batches() -> None:
    imports = FakeImportRepository()
    await write(imports, 1, {"read": 2, "failed": 1})
    await write(imports, 2, {"read": 3}, sends=False)
    await imports.move_batch(
        "import-1", 1, state="done", counters={"read": 2, "failed": 1, "created": 1}
    )

    assert await imports.counters("import-1") == ImportCounters(rows_read=5, created=1, failed=1)


async def test_moving_a_batch_never_written_changes_nothing() -> None:
    imports = FakeImportRepository()

    await imports.move_batch("import-1", 7, state="groups", command=rows_command(7))

    assert (imports.batches("import-1"), imports.outbox) == ([], [])


async def test_a_report_entry_is_kept_once_per_row_and_part() -> None:
    imports = FakeImportRepository()
    entry: Record = {"_id": "import-1:2:c", "import_id": "import-1", "row": 2, "code": "first"}

    await imports.add_report([entry, {**entry, "code": "second"}])
    await imports.add_report([{**entry, "_id": "import-1:2:g:Choir"}])

    assert [e["code"] for e in imports.report("import-1")] == ["first", "first"]
    assert await imports.report_page("import-1", "import-1:2:c", 10) == [
        {**entry, "_id": "import-1:2:g:Choir"}
    ]


async def test_a_reader_waiting_with_nobody_to_answer_fails_instead_of_hanging() -> None:
    with pytest.raises(NoReplyComing):
        await FakeImportRunner().wait_for_reply(timeout_s=1.0)


async def test_the_file_store_streams_and_deletes_uploads(tmp_path: Path) -> None:
    files = FakeFileStore(tmp_path, max_bytes=5)

    async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    assert await files.save("a", chunks(b"ab", b"cd")) == 4
    assert files.path("a").read_bytes() == b"abcd"
    with pytest.raises(FileTooLarge):
        await files.save("b", chunks(b"abc", b"def"))
    files.delete("a")
    assert not files.path("a").exists()
