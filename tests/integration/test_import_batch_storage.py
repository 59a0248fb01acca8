"""An import batch's command (a few hundred kB for a thousand rows) waits for the relay outside
the batch's document, so the importer's frequent reads of its batches stay small; a batch stored
twice (a resumed read) keeps the first command and leaves nothing of the second behind."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.importer.adapters.import_repository import MongoImportRepository, batch_id
from services.importer.domain.job import ImportJob
from shared.contracts.imports import ImportContactRows, ImportedRow
from shared.mongo.client import Document
from shared.mongo.outbox import OUTBOX, OutboxWakeup
from shared.mongo.outbox_values import VALUE_ASIDE_BYTES, values_collection
from shared.settings import ServiceSettings
from tests.support.import_jobs import new_job
from tests.support.scratch import scratch_database


def command(job: ImportJob, rows: int) -> ImportContactRows:
    return ImportContactRows(
        import_id=job.id,
        batch=1,
        mode="create",
        opt_in=False,
        rows=[
            ImportedRow(row=r + 2, phone=f"+2547120{r:05d}", attributes={"name": f"Person {r}"})
            for r in range(rows)
        ],
    )


@pytest.fixture
async def db(settings: ServiceSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(settings, f"batches_{uuid.uuid4().hex[:6]}") as (_, db):
        yield db


async def store_batch(
    imports: MongoImportRepository,
    job: ImportJob,
    sent: ImportContactRows,
    originals: dict[int, list[str]] | None = None,
    groups: dict[int, list[str]] | None = None,
) -> None:
    await imports.write_batch(
        job,
        1,
        last_row=len(sent.rows) + 1,
        command=sent,
        originals=originals or {},
        groups=groups or {},
        report=[],
        counters={"read": len(sent.rows)},
    )


async def test_a_batch_command_waits_aside_and_a_second_storing_leaves_nothing(
    db: AsyncDatabase[Document],
) -> None:
    imports, job = MongoImportRepository(db, OutboxWakeup()), new_job()
    sent = command(job, 200)
    assert len(sent.model_dump_json()) > VALUE_ASIDE_BYTES
    for attempt in (sent, command(job, 150)):  # the second: a resumed read, refused
        await store_batch(imports, job, attempt)

    stored = await db["import_batches"].find_one({"_id": batch_id(job.id, 1)})
    assert stored is not None
    [entry] = stored[OUTBOX]
    assert entry["value"] is None and entry["aside"] is True
    assert len(str(stored)) < VALUE_ASIDE_BYTES
    values = await values_collection(db["import_batches"]).find({}).to_list()
    assert [v["_id"] for v in values] == [entry["id"]]
    published = ImportContactRows.model_validate(json.loads(values[0]["value"])["data"])
    assert published.rows == sent.rows


async def test_a_batchs_cells_are_read_back_by_row_and_originals_only_for_the_rows_asked(
    db: AsyncDatabase[Document],
) -> None:
    imports, job = MongoImportRepository(db, OutboxWakeup()), new_job()
    originals = {r: [f"Person {r}", f"+2547120{r:05d}"] for r in range(2, 12)}
    groups = {2: ["Choir"], 5: ["Choir", "Parents"]}
    await store_batch(imports, job, command(job, 10), originals, groups)

    assert await imports.batch_cells(job.id, 1) == {"originals": originals, "groups": groups}
    assert await imports.batch_cells(job.id, 1, originals_of={5, 11, 99}) == {
        "originals": {5: originals[5], 11: originals[11]},
        "groups": groups,
    }
    assert await imports.batch_cells(job.id, 1, originals_of=set()) == {
        "originals": {},
        "groups": groups,
    }
