"""MongoDB storage of import jobs: the job (with its events in its outbox), its batches (each
with the command it sends, in the batch's outbox, and its counters once answered), the
original cells of each batch's rows, and the per-row report.

Every write is by `_id` or an insert keyed by what it records (`<import>:<batch>`,
`<import>:<row>`), so repeating one after a crash changes nothing. The collections are small
per job (a batch is up to a thousand rows), so the few queries by job are cheap everywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.importer.domain.job import TERMINAL, Detected, ImportJob, ImportOptions
from shared.contracts.envelope import EventPayload
from shared.contracts.imports import ImportCounters
from shared.mongo.client import DUPLICATE_KEY, Document, count_matching, ensure_indexes
from shared.mongo.outbox import (
    OUTBOX,
    OUTBOX_INDEX,
    OutboxWakeup,
    outbox_entry,
    versioned_entries,
)
from shared.mongo.outbox_values import drop_unstored_values, set_values_aside

SOURCE = "roster/importer"
COUNTERS = ("created", "updated", "unchanged", "skipped", "failed")
READ = "read"
# Batch states waiting for an answer: from the contacts service, then from the groups service.
WAITING = ("sent", "groups")


def batch_id(import_id: str, batch: int) -> str:
    return f"{import_id}:{batch:07d}"


def fold_id(import_id: str) -> str:
    """The document summing the counters of a job's first done batches (no `import_id` field:
    queries of the job's batches never see it)."""
    return f"{import_id}:fold"


def _state(job: ImportJob) -> Document:
    state = asdict(job)
    state.pop("events")
    state.pop("id")
    return state


def _job(doc: Document) -> ImportJob:
    data = {k: v for k, v in doc.items() if k not in ("_id", OUTBOX)}
    data["options"] = ImportOptions(**data["options"])
    data["detected"] = Detected(**data["detected"]) if data.get("detected") else None
    return ImportJob(id=doc["_id"], **data)


class MongoImportRepository:
    def __init__(self, db: AsyncDatabase[Document], wakeup: OutboxWakeup) -> None:
        self.jobs = db["imports"]
        self.batches = db["import_batches"]
        self.batch_rows = db["import_batch_rows"]
        self.report = db["import_report"]
        self._wakeup = wakeup

    @property
    def outbox_collections(self) -> list[Any]:
        return [self.jobs, self.batches]

    async def create_indexes(self) -> None:
        await ensure_indexes(
            self.jobs, [IndexModel([("status", ASCENDING)], name="status"), OUTBOX_INDEX]
        )
        await ensure_indexes(
            self.batches,
            [
                IndexModel([("import_id", ASCENDING), ("n", DESCENDING)], name="job"),
                IndexModel([("import_id", ASCENDING), ("state", ASCENDING)], name="job_state"),
                OUTBOX_INDEX,
            ],
        )
        await ensure_indexes(
            self.report, [IndexModel([("import_id", ASCENDING), ("_id", ASCENDING)], name="job")]
        )

    # The job

    async def add(self, job: ImportJob) -> None:
        entries = self._entries(job)
        await self.jobs.insert_one({"_id": job.id, **_state(job), OUTBOX: entries})
        job.events.clear()
        self._wakeup.written(self.jobs, job.id, entries)

    async def get(self, import_id: str, org_id: str | None = None) -> ImportJob | None:
        doc = await self.jobs.find_one({"_id": import_id}, {OUTBOX: 0})
        if doc is None or (org_id is not None and doc["org_id"] != org_id):
            return None
        return _job(doc)

    async def save(self, job: ImportJob, expected_version: int) -> bool:
        """False when someone saved the job since it was read (nothing is stored)."""
        update: Document = {"$set": _state(job)}
        entries = self._entries(job)
        if entries:
            update["$push"] = {OUTBOX: {"$each": entries}}
        result = await self.jobs.update_one({"_id": job.id, "version": expected_version}, update)
        if result.matched_count == 0:
            return False
        job.events.clear()
        self._wakeup.written(self.jobs, job.id, entries)
        return True

    async def unfinished(self) -> list[str]:
        docs = await self.jobs.find(
            {"status": {"$in": ["queued", "validating", "importing"]}}, {"_id": 1}
        ).to_list()
        return [doc["_id"] for doc in docs]

    async def recent(self, org_id: str, limit: int) -> list[ImportJob]:
        docs = await self.jobs.find(
            {"org_id": org_id}, {OUTBOX: 0}, sort=[("created_at", DESCENDING)], limit=limit
        ).to_list()
        return [_job(doc) for doc in docs]

    def _entries(self, job: ImportJob) -> list[Document]:
        return versioned_entries(
            job.events, source=SOURCE, subject=job.id, org_id=job.org_id, version=job.version
        )

    # Batches

    async def write_batch(
        self,
        job: ImportJob,
        n: int,
        *,
        last_row: int,
        command: EventPayload | None,
        originals: Mapping[int, list[str]],
        groups: Mapping[int, list[str]],
        report: Sequence[Document],
        counters: Mapping[str, int],
    ) -> None:
        """The batch's report rows and original cells first, the batch (with its command)
        last: the batch's presence says all of it is stored."""
        await self.add_report(report)
        bid = batch_id(job.id, n)
        await self.batch_rows.replace_one(
            {"_id": bid},
            {
                "originals": {str(k): v for k, v in originals.items()},
                "groups": {str(k): v for k, v in groups.items()},
            },
            upsert=True,
        )
        doc: Document = {
            "_id": bid,
            "import_id": job.id,
            "n": n,
            "last_row": last_row,
            "state": "sent" if command is not None else "done",
            "counters": dict(counters),
            OUTBOX: [],
        }
        if command is not None:
            entry = outbox_entry(command, source=SOURCE, subject=bid, org_id=job.org_id, sequence=n)
            doc[OUTBOX] = await set_values_aside(self.batches, [entry])
        try:
            await self.batches.insert_one(doc)
        except DuplicateKeyError:  # stored by an earlier run: its own command is the one sent
            await drop_unstored_values(self.batches, doc[OUTBOX])
            return
        self._wakeup.written(self.batches, bid, doc[OUTBOX])

    async def batch(self, import_id: str, n: int) -> Document | None:
        return await self.batches.find_one({"_id": batch_id(import_id, n)}, {OUTBOX: 0})

    async def batch_cells(
        self, import_id: str, n: int, originals_of: Collection[int] | None = None
    ) -> Document:
        """Stored under text keys (document keys are strings), answered by row number."""
        projection: Document | None = None
        if originals_of is not None:
            projection = {"groups": 1, **{f"originals.{row}": 1 for row in originals_of}}
        doc = await self.batch_rows.find_one({"_id": batch_id(import_id, n)}, projection) or {}
        return {
            part: {int(row): value for row, value in (doc.get(part) or {}).items()}
            for part in ("originals", "groups")
        }

    async def last_batch(self, import_id: str) -> Document | None:
        docs = await self.batches.find(
            {"import_id": import_id}, {OUTBOX: 0}, sort=[("n", DESCENDING)], limit=1
        ).to_list()
        return docs[0] if docs else None

    async def move_batch(
        self,
        import_id: str,
        n: int,
        *,
        state: str,
        counters: Mapping[str, int] | None = None,
        command: EventPayload | None = None,
        org_id: str = "",
    ) -> None:
        bid = batch_id(import_id, n)
        update: Document = {"$set": {"state": state}}
        if counters is not None:
            update["$set"]["counters"] = dict(counters)
        entries: list[Document] = []
        if command is not None:
            entry = outbox_entry(command, source=SOURCE, subject=bid, org_id=org_id, sequence=n)
            entries = await set_values_aside(self.batches, [entry])
            update["$push"] = {OUTBOX: {"$each": entries}}
        await self.batches.update_one({"_id": bid}, update)
        if entries:
            self._wakeup.written(self.batches, bid, entries)
        if state == "done":
            await self.batch_rows.delete_one({"_id": bid})

    async def waiting(self, import_id: str, state: str | None = None) -> int:
        """Batches waiting for an answer: in `state`, or in any state but done. Counted from
        the `job_state` index, however many batches the job has."""
        wanted: Any = state if state is not None else {"$in": list(WAITING)}
        return await count_matching(self.batches, {"import_id": import_id, "state": wanted})

    async def counters(self, import_id: str) -> ImportCounters:
        """Summed over the job's batches, each of which recorded its own once. A done batch's
        counters never change, so the sum of the first done ones is kept (the job's fold) and
        only the batches after it are read: a settle costs the batches in flight, not the
        thousands a large file has."""
        fold = await self.batches.find_one({"_id": fold_id(import_id)})
        through = int(fold["through"]) if fold else 0
        folded = dict.fromkeys((READ, *COUNTERS), 0) | dict(fold["counters"] if fold else {})
        docs = await self.batches.find(
            {"import_id": import_id, "n": {"$gt": through}},
            {"n": 1, "state": 1, "counters": 1},
            sort=[("n", ASCENDING)],
        ).to_list()
        totals, advanced = dict(folded), through
        for doc in docs:
            counted = doc.get("counters") or {}
            for key in totals:
                totals[key] += int(counted.get(key, 0))
            if doc["n"] == advanced + 1 and doc.get("state") == "done":
                advanced += 1
                for key in folded:
                    folded[key] += int(counted.get(key, 0))
        if advanced > through:
            await self._fold(import_id, through, advanced, folded)
        return ImportCounters(rows_read=totals.pop(READ), **totals)

    async def _fold(
        self, import_id: str, through: int, advanced: int, folded: Mapping[str, int]
    ) -> None:
        """Moves the fold on from `through`, unless another caller moved it first."""
        # Moved meanwhile: the upsert finds no fold at `through` and collides with it.
        with suppress(DuplicateKeyError):
            await self.batches.update_one(
                {"_id": fold_id(import_id), "through": through},
                {"$set": {"through": advanced, "counters": dict(folded)}},
                upsert=True,
            )

    # The report

    async def add_report(self, rows: Sequence[Document]) -> None:
        if not rows:
            return
        try:
            await self.report.insert_many(list(rows), ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                raise

    async def ended_with_report(self, ended_before: datetime) -> list[str]:
        docs = await self.jobs.find(
            {
                "status": {"$in": sorted(TERMINAL)},
                "finished_at": {"$lt": ended_before},
                "report_deleted_at": None,
            },
            {"_id": 1},
        ).to_list()
        return [doc["_id"] for doc in docs]

    async def delete_report(self, import_id: str, batches: int) -> None:
        await self.report.delete_many({"import_id": import_id})
        ids = [batch_id(import_id, n) for n in range(batches + 1)]
        for start in range(0, len(ids), 1000):
            await self.batch_rows.delete_many({"_id": {"$in": ids[start : start + 1000]}})

    async def report_page(self, import_id: str, after: str | None, limit: int) -> list[Document]:
        query: Document = {"import_id": import_id}
        if after is not None:
            query["_id"] = {"$gt": after}
        return await self.report.find(
            query, sort=[("_id", ASCENDING)], limit=limit, batch_size=limit
        ).to_list()
