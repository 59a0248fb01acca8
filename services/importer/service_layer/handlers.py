"""One handler per command of the importer's API."""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath
from typing import Any

from services.importer.domain.commands import CancelImport, PreviewImport, StartImport
from services.importer.domain.job import ImportJob, ImportOptions
from services.importer.domain.mapping import detect_mapping
from services.importer.domain.rows import RowFailure, is_blank, read_row
from services.importer.service_layer import queries
from services.importer.service_layer.jobs import mutate_job
from services.importer.service_layer.pipeline import SAMPLE_ROWS, new_fields, read_head
from services.importer.service_layer.ports import ImportRunner
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.errors import DomainError
from shared.phone import normalize_phone

PREVIEW_ROWS = 20
MAX_GROUP_NAME = 64


def file_group(file_name: str) -> str:
    """RapidPro's habit: a plain import goes into a group named after the file."""
    stem = PurePath(file_name).stem.strip() or "import"
    return stem[:MAX_GROUP_NAME]


async def start_import(cmd: StartImport, uow: ImportsUnitOfWork, runner: ImportRunner) -> ImportJob:
    """Checks what can be checked at once (readable, a phone column, the mapping), so a bad
    file is refused before it becomes a job; the job then runs in the background."""
    fmt, header, _ = await read_head(uow, cmd.import_id, 0)
    detect_mapping(header, cmd.options.mapping)
    options = cmd.options
    if options.group is None and options.mode == "create" and cmd.add_to_file_group:
        options = ImportOptions(**{**options.__dict__, "group": file_group(cmd.file_name)})
    job = ImportJob(
        id=cmd.import_id,
        org_id=cmd.by.org_id,
        file_name=cmd.file_name,
        file_format=fmt.kind,
        file_size=cmd.file_size,
        options=options,
        created_by=cmd.by.actor,
        created_at=uow.clock(),
    )
    await uow.imports.add(job)
    runner.wake()
    return job


async def cancel_import(cmd: CancelImport, uow: ImportsUnitOfWork) -> ImportJob:
    """Stops reading at the next batch; batches already sent are still answered and counted."""
    await queries.load(uow, cmd.by, cmd.import_id)
    counters = await uow.imports.counters(cmd.import_id)
    job = await mutate_job(uow, cmd.import_id, lambda j: j.cancel(counters, uow.clock()))
    assert job is not None
    uow.files.delete(cmd.import_id)  # a reader still holding it open reads on, then stops
    return job


async def preview_import(cmd: PreviewImport, uow: ImportsUnitOfWork) -> dict[str, Any]:
    """The mapping as detected, the first rows as they would be sent (phones normalized), the
    fields that would be created, and the problems found in the first rows."""
    fmt, header, sample = await read_head(uow, cmd.import_id, SAMPLE_ROWS)
    mapping = detect_mapping(header, cmd.options.mapping)
    org = await uow.directory.get(cmd.by.org_id)
    country = cmd.options.default_country or org.default_country
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    first_row_of: dict[str, int] = {}
    outcomes: Counter[str] = Counter()
    for offset, cells in enumerate(sample):
        number = offset + 2
        if is_blank(cells):
            continue
        result = read_row(cells, mapping, number)
        if isinstance(result, RowFailure):
            errors.append(result.outcome().model_dump(exclude_none=True))
            outcomes["failed"] += 1
            continue
        view = result.model_dump(exclude_defaults=True)
        try:
            phone = normalize_phone(result.phone or "", country)
        except DomainError as exc:
            errors.append(
                {"row": number, "column": result.columns.get("phone"), "value": result.phone,
                 "code": exc.code, "message": exc.message}
            )  # fmt: skip
            outcomes["failed"] += 1
            continue
        if phone in first_row_of:
            errors.append(
                {"row": number, "column": result.columns.get("phone"), "value": result.phone,
                 "code": "duplicate_in_file",
                 "message": f"row {first_row_of[phone]} of this file has the same phone"}
            )  # fmt: skip
            outcomes["failed"] += 1
            continue
        first_row_of[phone] = number
        outcomes["ok"] += 1
        view["phone"] = phone
        if len(rows) < PREVIEW_ROWS:
            rows.append(view)
    return {
        "format": {"kind": fmt.kind, "encoding": fmt.encoding, "delimiter": fmt.delimiter},
        "mapping": mapping.as_dict(),
        "new_fields": new_fields(mapping, sample, org.fields),
        "rows": rows,
        "errors": errors,
        "sample": {"rows": len(sample), **outcomes},
    }
