"""In-memory fakes of the importer's ports (`services/importer/service_layer/ports.py`) and the
importer's bus built over them: the fast unit tier (cosmicpython's FakeRepository and
FakeUnitOfWork), with no Kafka, no store and no HTTP.

The fakes behave as the reference adapters do wherever a handler could tell the difference
(`adapters/import_repository.py`: batches keyed `<import>:<batch>`, `write_batch` idempotent,
`move_batch`, counters summed over batches, report entries keyed by row and part, the job saved
only at the version it was read at; `adapters/file_store.py`; `adapters/org_directory.py`:
stale sequences ignored). What the outbox relay would publish, the job's events and each
batch's commands, is kept in `FakeImportRepository.outbox`, so tests assert on it.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
from collections import Counter
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from services.importer.adapters.readers import read_rows, sniff
from services.importer.bootstrap import build_bus
from services.importer.domain.commands import RunImport, StartImport
from services.importer.domain.errors import FileTooLarge
from services.importer.domain.files import DEFAULT_LIMITS, FileFormat, FileLimits
from services.importer.domain.job import ImportJob, ImportOptions
from services.importer.domain.organization import OrgView
from services.importer.service_layer.ports import (
    FileStore,
    ImportRepository,
    ImportRunner,
    OrgDirectory,
    Record,
)
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.auth import Principal, Role
from shared.contracts.contacts import ContactStatusName
from shared.contracts.envelope import EventPayload
from shared.contracts.imports import (
    ContactRowsImported,
    GroupMembersImported,
    ImportContactRows,
    ImportCounters,
    ImportedMember,
    ImportGroupMembers,
    MemberRefusal,
    RowOutcome,
    RowOutcomeName,
)
from shared.messagebus import MessageBus
from tests.support.messages import received

P = TypeVar("P", bound=EventPayload)
BatchCommand = TypeVar("BatchCommand", ImportContactRows, ImportGroupMembers)

ORG = "org-1"
ADMIN = Principal(org_id=ORG, role=Role.ADMIN, subject="tester")
OTHER_ORG_ADMIN = Principal(org_id="org-2", role=Role.ADMIN, subject="intruder")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
COUNTED = ("created", "updated", "unchanged", "skipped", "failed")


# ---------------------------------------------------------------------------------------------
# The clock and ids
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeClock:
    """Time stands still until a test moves it: throttled progress becomes deterministic."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class SequentialIds:
    """`import-1`, `import-2`, ...: ids a failing test can be read by."""

    def __init__(self, prefix: str = "import") -> None:
        self._prefix = prefix
        self._numbers = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}-{next(self._numbers)}"


# ---------------------------------------------------------------------------------------------
# ImportRepository
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One message the outbox relay would publish, under the subject it would carry: the
    import id for the job's events, `<import>:<batch>` for a batch's commands."""

    subject: str
    payload: EventPayload


BatchKey = tuple[str, int]


def batch_subject(import_id: str, n: int) -> str:
    return f"{import_id}:{n}"


class FakeImportRepository:
    """Jobs, batches, the batches' cells and the report in dicts; what would be published in
    `outbox`, in the order it was stored. Everything handed out is a copy, so a handler's
    change counts only once it is saved, as with the store."""

    def __init__(self) -> None:
        self._jobs: dict[str, ImportJob] = {}
        self._batches: dict[BatchKey, Record] = {}
        self._cells: dict[BatchKey, Record] = {}
        self._report: dict[str, Record] = {}
        self.outbox: list[Outgoing] = []

    # The job

    async def add(self, job: ImportJob) -> None:
        if job.id in self._jobs:
            raise KeyError(f"import {job.id} exists")  # the store's duplicate key
        self._store(job)

    async def get(self, import_id: str, org_id: str | None = None) -> ImportJob | None:
        job = self._jobs.get(import_id)
        if job is None or (org_id is not None and job.org_id != org_id):
            return None
        return copy.deepcopy(job)

    async def save(self, job: ImportJob, expected_version: int) -> bool:
        stored = self._jobs.get(job.id)
        if stored is None or stored.version != expected_version:
            return False
        self._store(job)
        return True

    async def unfinished(self) -> list[str]:
        return [job.id for job in self._jobs.values() if not job.finished]

    async def recent(self, org_id: str, limit: int) -> list[ImportJob]:
        mine = [job for job in self._jobs.values() if job.org_id == org_id]
        mine.sort(key=lambda job: job.created_at, reverse=True)
        return [copy.deepcopy(job) for job in mine[:limit]]

    def _store(self, job: ImportJob) -> None:
        self.outbox.extend(Outgoing(job.id, event) for event in job.events)
        job.events.clear()
        self._jobs[job.id] = copy.deepcopy(job)

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
        report: Sequence[Record],
        counters: Mapping[str, int],
    ) -> None:
        """As the reference: report and cells first, the batch (with its command) last, and a
        batch already stored is not stored, nor sent, again."""
        await self.add_report(report)
        key = (job.id, n)
        self._cells[key] = {
            "originals": {row: list(cells) for row, cells in originals.items()},
            "groups": {row: list(names) for row, names in groups.items()},
        }
        if key in self._batches:
            return
        self._batches[key] = {
            "_id": batch_subject(job.id, n),
            "import_id": job.id,
            "n": n,
            "last_row": last_row,
            "state": "sent" if command is not None else "done",
            "counters": dict(counters),
        }
        if command is not None:
            self.outbox.append(Outgoing(batch_subject(job.id, n), command))

    async def batch(self, import_id: str, n: int) -> Record | None:
        found = self._batches.get((import_id, n))
        return copy.deepcopy(found) if found is not None else None

    async def batch_cells(
        self, import_id: str, n: int, originals_of: Collection[int] | None = None
    ) -> Record:
        cells = copy.deepcopy(self._cells.get((import_id, n), {"originals": {}, "groups": {}}))
        if originals_of is not None:
            cells["originals"] = {
                row: v for row, v in cells["originals"].items() if int(row) in originals_of
            }
        return cells

    async def last_batch(self, import_id: str) -> Record | None:
        mine = self.batches(import_id)
        return mine[-1] if mine else None

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
        """A batch that is not stored stays so (the reference updates without upsert)."""
        found = self._batches.get((import_id, n))
        if found is None:
            return
        found["state"] = state
        if counters is not None:
            found["counters"] = dict(counters)
        if command is not None:
            self.outbox.append(Outgoing(batch_subject(import_id, n), command))
        if state == "done":
            self._cells.pop((import_id, n), None)

    async def waiting(self, import_id: str, state: str | None = None) -> int:
        wanted = (state,) if state is not None else ("sent", "groups")
        return sum(1 for batch in self.batches(import_id) if batch["state"] in wanted)

    async def counters(self, import_id: str) -> ImportCounters:
        totals: Counter[str] = Counter()
        for batch in self.batches(import_id):
            totals.update(batch.get("counters") or {})
        return ImportCounters(rows_read=totals["read"], **{k: totals[k] for k in COUNTED})

    # The report

    async def add_report(self, rows: Sequence[Record]) -> None:
        for row in rows:
            self._report.setdefault(row["_id"], copy.deepcopy(row))

    async def report_page(self, import_id: str, after: str | None, limit: int) -> list[Record]:
        return [entry for entry in self.report(import_id) if after is None or entry["_id"] > after][
            :limit
        ]

    async def ended_with_report(self, ended_before: datetime) -> list[str]:
        return [
            job.id
            for job in self._jobs.values()
            if job.finished
            and job.finished_at is not None
            and job.finished_at < ended_before
            and job.report_deleted_at is None
        ]

    async def delete_report(self, import_id: str, batches: int) -> None:
        for key in [k for k, row in self._report.items() if row["import_id"] == import_id]:
            del self._report[key]
        for n in range(batches + 1):
            self._cells.pop((import_id, n), None)

    # For assertions: what is stored, and what would be published

    def job(self, import_id: str) -> ImportJob:
        return copy.deepcopy(self._jobs[import_id])

    def job_ids(self) -> list[str]:
        return list(self._jobs)

    def batches(self, import_id: str) -> list[Record]:
        mine = [b for (job_id, _), b in self._batches.items() if job_id == import_id]
        return copy.deepcopy(sorted(mine, key=lambda b: int(b["n"])))

    def report(self, import_id: str) -> list[Record]:
        mine = [e for e in self._report.values() if e["import_id"] == import_id]
        return copy.deepcopy(sorted(mine, key=lambda e: str(e["_id"])))

    def published(self, kind: type[P], import_id: str | None = None) -> list[P]:
        """The stored messages of one type, in order (of one import, if named)."""
        return [
            out.payload
            for out in self.outbox
            if isinstance(out.payload, kind)
            and (import_id is None or getattr(out.payload, "import_id", None) == import_id)
        ]

    def event_types(self, import_id: str) -> list[str]:
        """The job's own events (not its batches' commands), by type, in order."""
        return [out.payload.event_type for out in self.outbox if out.subject == import_id]


# ---------------------------------------------------------------------------------------------
# FileStore
# ---------------------------------------------------------------------------------------------


class FakeFileStore:
    """Uploads in a real temporary directory, read through the real (bounded) readers: reading
    files is not infrastructure, and the readers are what the handlers' behaviour rests on."""

    def __init__(
        self, root: Path, max_bytes: int = 10_000_000, limits: FileLimits = DEFAULT_LIMITS
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.limits = limits
        self.deleted: list[str] = []

    def path(self, import_id: str) -> Path:
        return self.root / f"{import_id}.upload"

    async def save(self, import_id: str, chunks: AsyncIterator[bytes]) -> int:
        body = bytearray()
        async for chunk in chunks:
            body += chunk
            if len(body) > self.max_bytes:
                raise FileTooLarge("the file is too large", limit_bytes=self.max_bytes)
        self.put(import_id, bytes(body))
        return len(body)

    def delete(self, import_id: str) -> None:
        self.path(import_id).unlink(missing_ok=True)
        self.deleted.append(import_id)

    def sniff(self, import_id: str) -> FileFormat:
        return sniff(self.path(import_id), self.limits)

    def rows(self, import_id: str, fmt: FileFormat) -> Iterator[list[object]]:
        return read_rows(self.path(import_id), replace(fmt, limits=self.limits))

    def put(self, import_id: str, content: str | bytes) -> Path:
        """Stores a file as an upload would have (text as UTF-8)."""
        path = self.path(import_id)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path


# ---------------------------------------------------------------------------------------------
# OrgDirectory
# ---------------------------------------------------------------------------------------------


@dataclass
class _Versioned:
    sequence: int
    value: str | None


@dataclass
class _Org:
    settings: _Versioned = field(default_factory=lambda: _Versioned(0, None))
    fields: dict[str, _Versioned] = field(default_factory=dict)


class FakeOrgDirectory:
    """Organisations' default country and fields' types; like the reference, an event no newer
    than what is known (by sequence) changes nothing. `on_read` runs before each `get`: a test
    makes something happen while a handler is between reading and writing."""

    def __init__(self) -> None:
        self._orgs: dict[str, _Org] = {}
        self.on_read: Callable[[], Awaitable[None]] | None = None

    async def get(self, org_id: str) -> OrgView:
        if self.on_read is not None:
            await self.on_read()
        org = self._orgs.get(org_id, _Org())
        types = {k: f.value for k, f in org.fields.items() if f.value is not None}
        return OrgView(default_country=org.settings.value, fields=types)

    async def apply_settings(self, org_id: str, sequence: int, default_country: str | None) -> None:
        org = self._orgs.setdefault(org_id, _Org())
        if org.settings.sequence < sequence:
            org.settings = _Versioned(sequence, default_country)

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: str | None
    ) -> None:
        org = self._orgs.setdefault(org_id, _Org())
        known = org.fields.get(key)
        if known is None or known.sequence < sequence:
            org.fields[key] = _Versioned(sequence, field_type)

    def seed(
        self,
        org_id: str,
        *,
        default_country: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        """What an organisation already had, older than any event a test delivers."""
        org = self._orgs.setdefault(org_id, _Org())
        org.settings = _Versioned(0, default_country)
        org.fields.update({key: _Versioned(0, kind) for key, kind in (fields or {}).items()})


# ---------------------------------------------------------------------------------------------
# ImportRunner
# ---------------------------------------------------------------------------------------------


class NoReplyComing(AssertionError):
    """The reader waits for room in the pipeline, and nothing in the test will make any."""


class FakeImportRunner:
    """Counts what handlers tell the worker. A reader waiting for room gets `respond` run at
    once (the test's stand-in for the contacts service answering meanwhile); without one, or
    after `max_waits`, the wait fails instead of hanging."""

    def __init__(self, max_waits: int = 100) -> None:
        self.wakes = 0
        self.replies = 0
        self.waits = 0
        self.max_waits = max_waits
        self.respond: Callable[[], Awaitable[None]] | None = None

    def wake(self) -> None:
        self.wakes += 1

    def reply_arrived(self) -> None:
        self.replies += 1

    async def wait_for_reply(self, timeout_s: float) -> None:
        self.waits += 1
        if self.respond is None:
            raise NoReplyComing("the reader waits for a reply the test never sends")
        if self.waits > self.max_waits:
            raise NoReplyComing(f"still no room after {self.max_waits} waits")
        await self.respond()


class WorkerKilled(Exception):
    """The importer process dies while its reader waits for room."""


async def kill_the_worker() -> None:
    """A `runner.respond` that leaves a job read part of the way, as a crash would."""
    raise WorkerKilled


# The fakes are the ports (checked by mypy).
_IMPORTS: type[ImportRepository] = FakeImportRepository
_FILES: type[FileStore] = FakeFileStore
_DIRECTORY: type[OrgDirectory] = FakeOrgDirectory
_RUNNER: type[ImportRunner] = FakeImportRunner


# ---------------------------------------------------------------------------------------------
# The importer over the fakes
# ---------------------------------------------------------------------------------------------


@dataclass
class FakeImporter:
    """The unit of work and the bus `build_bus` makes of it, with each fake at hand."""

    uow: ImportsUnitOfWork
    imports: FakeImportRepository
    files: FakeFileStore
    directory: FakeOrgDirectory
    runner: FakeImportRunner
    clock: FakeClock
    bus: MessageBus

    def upload(self, content: str | bytes) -> str:
        """Stores a file under a new import id, as the upload route does before StartImport."""
        import_id = self.uow.new_id()
        self.files.put(import_id, content)
        return import_id

    async def start(
        self,
        content: str | bytes,
        *,
        file_name: str = "people.csv",
        options: ImportOptions | None = None,
        by: Principal = ADMIN,
        add_to_file_group: bool = True,
    ) -> ImportJob:
        content_bytes = content.encode() if isinstance(content, str) else content
        job: ImportJob = await self.bus.handle(
            StartImport(
                by=by,
                import_id=self.upload(content_bytes),
                file_name=file_name,
                file_size=len(content_bytes),
                options=options or ImportOptions(),
                add_to_file_group=add_to_file_group,
            )
        )
        return job

    async def run(self, import_id: str) -> None:
        await self.bus.handle(RunImport(import_id))

    async def start_and_read(
        self, content: str | bytes, *, options: ImportOptions | None = None
    ) -> str:
        """A job whose file is read: its batches sent, none answered yet."""
        job = await self.start(content, options=options)
        await self.run(job.id)
        return job.id

    async def deliver(self, reply: ContactRowsImported | GroupMembersImported) -> None:
        """Hands the bus a reply as the consumer would: with its job's organisation."""
        org_id = self.imports.job(reply.import_id).org_id
        await self.bus.handle(received(reply, org_id, sequence=reply.batch))

    def pending_contact_rows(self, import_id: str) -> list[ImportContactRows]:
        """The commands of batches the contacts service has not answered yet."""
        return self._pending(ImportContactRows, import_id, "sent")

    def pending_group_members(self, import_id: str) -> list[ImportGroupMembers]:
        return self._pending(ImportGroupMembers, import_id, "groups")

    def _pending(self, kind: type[BatchCommand], import_id: str, state: str) -> list[BatchCommand]:
        waiting = {int(b["n"]) for b in self.imports.batches(import_id) if b["state"] == state}
        return [c for c in self.imports.published(kind, import_id) if c.batch in waiting]

    async def answer_oldest_batch(self) -> None:
        """Every row of the oldest unanswered batch (of any import) created, active: a
        `runner.respond` for readers waiting for room."""
        for import_id in self.imports.job_ids():
            pending = self.pending_contact_rows(import_id)
            if pending:
                await self.deliver(contact_rows_imported(pending[0]))
                return
        raise NoReplyComing("no batch waits for an answer")

    async def answer_all(self, import_id: str) -> None:
        """Answers every batch, and then every group command, plainly (created, active)."""
        for rows in self.pending_contact_rows(import_id):
            await self.deliver(contact_rows_imported(rows))
        for members in self.pending_group_members(import_id):
            await self.deliver(group_members_imported(members))


def fake_importer(
    root: Path,
    *,
    batch_rows: int = 2,
    max_rows: int = 1000,
    max_in_flight: int = 4,
    max_unfinished: int = 100,
    first_batch_alone: bool = False,
    imports: FakeImportRepository | None = None,
    directory: FakeOrgDirectory | None = None,
) -> FakeImporter:
    """Small batches, so a file of a few rows already makes several, all sent before any is
    answered (`first_batch_alone` off, unless a test is about it). A test hands in its own
    repository or directory (a subclass that misbehaves on purpose) when it needs to."""
    imports, files = imports or FakeImportRepository(), FakeFileStore(root)
    directory = directory or FakeOrgDirectory()
    runner, clock = FakeImportRunner(), FakeClock()
    uow = ImportsUnitOfWork(
        imports=imports,
        files=files,
        directory=directory,
        batch_rows=batch_rows,
        max_rows=max_rows,
        max_in_flight=max_in_flight,
        max_unfinished=max_unfinished,
        first_batch_alone=first_batch_alone,
        clock=clock,
        new_id=SequentialIds(),
    )
    return FakeImporter(uow, imports, files, directory, runner, clock, build_bus(uow, runner))


# ---------------------------------------------------------------------------------------------
# Builders: files, and the replies of the contacts and groups services
# ---------------------------------------------------------------------------------------------


def csv_file(*rows: Sequence[str]) -> str:
    """A CSV as a spreadsheet would save it, the header first."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def people(count: int, *, first_phone: int = 254712000001) -> str:
    """A plain file of `count` people, each with its own phone."""
    return csv_file(
        ("name", "phone"), *((f"Person {i}", f"+{first_phone + i}") for i in range(count))
    )


def contact_id(row: int) -> str:
    return f"contact-{row}"


def contact_rows_imported(
    command: ImportContactRows,
    *,
    outcome: RowOutcomeName = "created",
    status: ContactStatusName = "active",
    exceptions: Sequence[RowOutcome] = (),
) -> ContactRowsImported:
    """The contacts service's answer: every row `outcome` with a contact in `status`, except
    the rows given in full."""
    special = {row.row: row for row in exceptions}
    return ContactRowsImported(
        import_id=command.import_id,
        batch=command.batch,
        rows=[
            special.get(r.row)
            or RowOutcome(row=r.row, outcome=outcome, contact_id=contact_id(r.row), status=status)
            for r in command.rows
        ],
    )


def group_members_imported(
    command: ImportGroupMembers, *, refused: Sequence[MemberRefusal] = ()
) -> GroupMembersImported:
    names = sorted({name for member in command.members for name in member.groups})
    return GroupMembersImported(
        import_id=command.import_id,
        batch=command.batch,
        groups={name: f"group-{name}" for name in names},
        refused=list(refused),
    )


def refusal(member: ImportedMember, *, code: str = "contact_blocked") -> MemberRefusal:
    """The groups service refusing the member its first group."""
    return MemberRefusal(
        row=member.row,
        contact_id=member.contact_id,
        group=member.groups[0],
        code=code,
        message="refused",
    )


def rows_of(commands: Sequence[ImportContactRows]) -> list[int]:
    """The file rows the commands carry, in the order sent."""
    return [row.row for command in commands for row in command.rows]
