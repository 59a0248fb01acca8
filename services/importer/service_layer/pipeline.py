"""The importer's own work on a job: validate the file, then read it into batches and send
each to the contacts service, a few at a time.

Resumable: a batch is stored together with its command (see `ImportRepository.write_batch`),
and reading restarts after the last stored batch, so a restarted importer continues where it
was and never sends a row twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice

from services.importer.domain.cells import cell_text
from services.importer.domain.commands import RunImport
from services.importer.domain.errors import InvalidImport
from services.importer.domain.field_types import guess_type
from services.importer.domain.files import FileFormat
from services.importer.domain.job import Detected, ImportJob
from services.importer.domain.mapping import ColumnMapping, detect_mapping
from services.importer.domain.report import report_id
from services.importer.domain.rows import RowFailure, is_blank, read_row
from services.importer.service_layer.jobs import mutate_job, settle
from services.importer.service_layer.ports import ImportRunner
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.contracts.imports import ImportContactRows, ImportedRow, NewField
from shared.errors import DomainError
from shared.mongo.client import Document

SAMPLE_ROWS = 1000
# Commands stay well under Kafka's default 1 MB record limit.
MAX_BATCH_BYTES = 512 * 1024


def head(lines: Iterator[list[object]], rows: int) -> tuple[list[str], list[list[object]]]:
    """The header and up to `rows` rows after it."""
    header = next(lines, None)
    if header is None:
        raise InvalidImport("the file has no header row")
    return [cell_text(h) for h in header], list(islice(lines, rows))


async def read_head(
    uow: ImportsUnitOfWork, import_id: str, rows: int
) -> tuple[FileFormat, list[str], list[list[object]]]:
    """The file's format (read through once: a file that cannot be imported is refused here),
    its header, and up to `rows` rows after it."""

    def read() -> tuple[FileFormat, list[str], list[list[object]]]:
        fmt = uow.files.sniff(import_id)
        return fmt, *head(uow.files.rows(import_id, fmt), rows)

    return await asyncio.to_thread(read)


def new_fields(
    mapping: ColumnMapping, sample: list[list[object]], known: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Field columns whose key the organisation lacks, with the type their values suggest."""
    found: dict[str, dict[str, str]] = {}
    for column in mapping.field_columns:
        assert column.key is not None
        if column.key in known or column.key in found:
            continue
        values = [cell_text(r[column.index]) for r in sample if column.index < len(r)]
        prefix, _, rest = column.header.partition(":")
        label = rest.strip() if rest and prefix.strip().lower() == "field" else column.header
        found[column.key] = {"label": label[:64], "type": guess_type(values)}
    return found


async def validate(job: ImportJob, uow: ImportsUnitOfWork) -> Detected:
    """Raises DomainError when the file cannot be imported at all."""
    fmt, header, sample = await read_head(uow, job.id, SAMPLE_ROWS)
    mapping = detect_mapping(header, job.options.mapping)
    total = fmt.data_rows or 0
    if total > uow.max_rows:
        raise InvalidImport(f"a file has at most {uow.max_rows:,} rows", rows=total)
    org = await uow.directory.get(job.org_id)
    fields = new_fields(mapping, sample, org.fields) if job.options.create_fields else {}
    if not job.options.create_fields:  # columns of unknown fields are left out
        mapping = ColumnMapping(
            tuple(
                c
                if c.target != "field" or c.key in org.fields
                else replace(c, target="ignore", key=None)
                for c in mapping.columns
            )
        )
    return Detected(
        encoding=fmt.encoding,
        delimiter=fmt.delimiter,
        header=header,
        mapping=mapping.as_dict(),
        new_fields=fields,
        total_rows=total,
    )


def mapping_of(job: ImportJob) -> ColumnMapping:
    assert job.detected is not None
    return detect_mapping(job.detected.header, {**job.detected.mapping})


@dataclass
class _Batch:
    rows: list[ImportedRow] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    originals: dict[int, list[str]] = field(default_factory=dict)
    groups: dict[int, list[str]] = field(default_factory=dict)
    read: int = 0
    size: int = 0
    last_row: int = 0


async def read_into_batches(
    job: ImportJob,
    uow: ImportsUnitOfWork,
    may_send: Callable[[bool], Awaitable[bool]],
) -> None:
    """Reads the file from after the last stored batch; `may_send` waits for room in the
    pipeline (with True: until every batch sent is answered) and says False when the job was
    cancelled.

    A file's first batch that names groups goes alone (`first_batch_alone`): the groups
    service creates the groups it names, and the contacts service, once it knows them, creates
    the contacts of the next batches in them instead of adding them afterwards (a second write
    of every contact in both services). One batch's wait, for most of the file's writes."""
    assert job.detected is not None
    mapping = mapping_of(job)
    last = await uow.imports.last_batch(job.id)
    n = int(last["n"]) if last else 0
    resume_after = int(last["last_row"]) if last else 1
    fmt = FileFormat(
        "xlsx" if job.file_format == "xlsx" else "csv",
        job.detected.encoding,
        job.detected.delimiter,
    )
    lines = uow.files.rows(job.id, fmt)
    row = 0
    batch = _Batch()
    alone = False
    while True:
        chunk = await asyncio.to_thread(lambda: list(islice(lines, uow.batch_rows)))
        if not chunk:
            break
        for cells in chunk:
            row += 1
            if row <= resume_after or is_blank(cells):
                continue
            _add(batch, job, mapping, cells, row)
            if len(batch.rows) + len(batch.failures) >= uow.batch_rows or (
                batch.size >= MAX_BATCH_BYTES
            ):
                if not await may_send(alone):
                    return
                n += 1
                await _write(job, uow, n, batch)
                alone = n == 1 and bool(batch.groups) and uow.first_batch_alone
                batch = _Batch()
    if batch.read:
        if not await may_send(alone):
            return
        n += 1
        await _write(job, uow, n, batch)
    await mutate_job(uow, job.id, lambda j: j.finish_reading(uow.clock()))


def _add(
    batch: _Batch, job: ImportJob, mapping: ColumnMapping, cells: list[object], row: int
) -> None:
    texts = [cell_text(c) for c in cells]
    batch.read += 1
    batch.last_row = row
    batch.originals[row] = texts
    batch.size += sum(len(t) for t in texts) + 64 * len(texts)
    result = read_row(texts, mapping, row)
    if isinstance(result, RowFailure):
        batch.failures.append(result)
        return
    groups = list(result.groups)
    if job.options.group and job.options.group not in groups:
        groups.append(job.options.group)
        # The contacts service creates a new contact in the groups it knows by these names.
        result = result.model_copy(update={"groups": groups})
    batch.rows.append(result)
    if groups:
        batch.groups[row] = groups


async def _write(job: ImportJob, uow: ImportsUnitOfWork, n: int, batch: _Batch) -> None:
    assert job.detected is not None
    command = None
    if batch.rows:
        command = ImportContactRows(
            import_id=job.id,
            batch=n,
            mode=job.options.mode,
            opt_in=job.options.opt_in,
            default_country=job.options.default_country,
            create_fields=[
                NewField.model_validate({"key": key, **spec})
                for key, spec in job.detected.new_fields.items()
            ],
            rows=batch.rows,
        )
    report = [
        report_entry(job.id, f.row, "r", f.outcome().model_dump(), batch.originals.get(f.row))
        for f in batch.failures
    ]
    await uow.imports.write_batch(
        job,
        n,
        last_row=batch.last_row,
        command=command,
        originals={r.row: batch.originals[r.row] for r in batch.rows},
        groups=batch.groups,
        report=report,
        counters={"read": batch.read, "failed": len(batch.failures)},
    )


def report_entry(
    import_id: str, row: int, part: str, outcome: dict[str, object], original: list[str] | None
) -> Document:
    return {
        "_id": report_id(import_id, row, part),
        "import_id": import_id,
        **{k: outcome.get(k) for k in ("row", "outcome", "column", "value", "code", "message")},
        "original": original or [],
    }


async def run_import(cmd: RunImport, uow: ImportsUnitOfWork, runner: ImportRunner) -> None:
    """Validates a queued job, then reads the rest of the file into batches, then settles it
    (which lets the upload go)."""
    try:
        await read_job(cmd.import_id, uow, runner)
    except FileNotFoundError:
        job = await uow.imports.get(cmd.import_id)
        if job is None or not job.finished:
            raise
        # Cancelled while it was read: the cancel let the upload go under the reader.
    await settle(cmd.import_id, uow)


async def read_job(job_id: str, uow: ImportsUnitOfWork, runner: ImportRunner) -> None:
    job = await uow.imports.get(job_id)
    if job is None or job.finished or job.reading_done:
        return
    if job.status in ("queued", "validating"):
        await mutate_job(uow, job_id, lambda j: j.start_validating(uow.clock()))
        try:
            detected = await validate(job, uow)
        except DomainError as exc:
            counters, error = await uow.imports.counters(job_id), exc.message
            await mutate_job(uow, job_id, lambda j: j.fail(error, counters, uow.clock()))
            return
        job = await mutate_job(uow, job_id, lambda j: j.start_importing(detected, uow.clock()))
        if job is None or job.finished:
            return

    async def may_send(all_answered: bool) -> bool:
        while True:
            current = await uow.imports.get(job_id)
            if current is None or current.finished:
                return False
            if all_answered:
                if await uow.imports.waiting(job_id) == 0:
                    return True
            elif (
                await uow.imports.waiting(job_id, "sent") < uow.max_in_flight
                and await uow.imports.waiting(job_id) < uow.max_unfinished
            ):
                return True
            await runner.wait_for_reply(timeout_s=1.0)

    await read_into_batches(job, uow, may_send)
