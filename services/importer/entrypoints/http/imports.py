"""Routes of the importer: thin, they store the upload and translate HTTP to commands."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from services.importer.domain.commands import CancelImport, PreviewImport, StartImport
from services.importer.domain.errors import InvalidImport
from services.importer.domain.job import ImportJob, ImportOptions
from services.importer.entrypoints.http.dependencies import get_uow, get_worker
from services.importer.entrypoints.import_worker import ImportWorker
from services.importer.service_layer import handlers
from services.importer.service_layer.templates import template_rows
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.auth import Principal, Role
from shared.contracts.imports import ImportCounters
from shared.http.security import authenticate, require_role
from shared.http.spreadsheets import MEDIA_TYPES, attachment, csv_stream, neutralize, xlsx_stream

router = APIRouter(prefix="/v1/imports", tags=["imports"])

Caller = Annotated[Principal, Depends(authenticate)]
Uow = Annotated[ImportsUnitOfWork, Depends(get_uow)]
Worker = Annotated[ImportWorker, Depends(get_worker)]
EDITORS = (Role.ADMIN, Role.MANAGER)
UPLOAD_CHUNK = 1 << 20
REPORT_PAGE = 1000
REPORT_COLUMNS = ["row", "outcome", "column", "value", "code", "message"]


def _view(job: ImportJob, counters: ImportCounters) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "file_name": job.file_name,
        "format": job.file_format,
        "size_bytes": job.file_size,
        "options": {k: v for k, v in job.options.__dict__.items()},
        "total_rows": job.total_rows,
        "counters": counters.model_dump(),
        "mapping": job.detected.mapping if job.detected else None,
        "new_fields": job.detected.new_fields if job.detected else None,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "errors_url": f"/v1/imports/{job.id}/errors?format=csv",
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _options(
    mode: str,
    group: str | None,
    opt_in: bool,
    default_country: str | None,
    create_fields: bool,
    mapping: str | None,
) -> ImportOptions:
    if mode not in ("create", "upsert"):
        raise InvalidImport("mode is create or upsert", field="mode")
    parsed: dict[str, str] = {}
    if mapping:
        try:
            parsed = json.loads(mapping)
        except ValueError:
            raise InvalidImport("mapping must be a JSON object", field="mapping") from None
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
        ):
            raise InvalidImport("mapping maps column headers to targets", field="mapping")
    country = default_country.strip().upper() if default_country else None
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise InvalidImport("default_country is an ISO 3166 alpha-2 code", field="default_country")
    return ImportOptions(
        mode=mode,  # type: ignore[arg-type]
        group=group.strip() if group and group.strip() else None,
        opt_in=opt_in,
        default_country=country,
        create_fields=create_fields,
        mapping=parsed,
    )


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(UPLOAD_CHUNK):
        yield chunk


@router.post("", status_code=202)
async def start_import(
    by: Caller,
    uow: Uow,
    worker: Worker,
    file: Annotated[UploadFile, File(description="CSV or XLSX; the first row names the columns")],
    mode: Annotated[str, Form()] = "create",
    group: Annotated[
        str | None, Form(description="Every contact joins it (created if missing)")
    ] = None,
    no_group: Annotated[bool, Form(description="No group named after the file")] = False,
    opt_in: Annotated[bool, Form()] = False,
    default_country: Annotated[str | None, Form()] = None,
    create_fields: Annotated[bool, Form()] = True,
    mapping: Annotated[str | None, Form(description='JSON: {"Mobile": "phone", ...}')] = None,
) -> dict[str, Any]:
    require_role(by, EDITORS, "import contacts")
    options = _options(mode, group, opt_in, default_country, create_fields, mapping)
    import_id = str(uuid.uuid4())
    size = await uow.files.save(import_id, _chunks(file))
    try:
        job = await handlers.start_import(
            StartImport(
                by=by,
                import_id=import_id,
                file_name=file.filename or "import.csv",
                file_size=size,
                options=options,
                add_to_file_group=not no_group,
            ),
            uow,
        )
    except BaseException:
        uow.files.delete(import_id)
        raise
    worker.wake()
    return _view(job, ImportCounters())


@router.post("/preview")
async def preview_import(
    by: Caller,
    uow: Uow,
    file: Annotated[UploadFile, File()],
    default_country: Annotated[str | None, Form()] = None,
    mapping: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    require_role(by, EDITORS, "import contacts")
    options = _options("create", None, False, default_country, True, mapping)
    preview_id = f"preview-{uuid.uuid4()}"
    await uow.files.save(preview_id, _chunks(file))
    try:
        return await handlers.preview_import(
            PreviewImport(by=by, import_id=preview_id, options=options), uow
        )
    finally:
        uow.files.delete(preview_id)


@router.get("/template")
async def template(
    by: Caller, uow: Uow, format: Literal["csv", "xlsx"] = "csv"
) -> StreamingResponse:
    rows = template_rows(await uow.directory.get(by.org_id))

    async def lines() -> AsyncIterator[list[str]]:
        for values in rows:
            yield values

    body = csv_stream(lines()) if format == "csv" else xlsx_stream(lines(), "contacts")
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": attachment(f"contacts-template.{format}")},
    )


@router.get("")
async def list_imports(
    by: Caller, uow: Uow, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> dict[str, Any]:
    jobs = await uow.imports.recent(by.org_id, limit)
    return {"items": [_view(job, await uow.imports.counters(job.id)) for job in jobs]}


@router.get("/{import_id}")
async def get_import(import_id: str, by: Caller, uow: Uow) -> dict[str, Any]:
    job, counters = await handlers.with_counters(uow, by, import_id)
    return _view(job, counters)


@router.post("/{import_id}/cancel")
async def cancel_import(import_id: str, by: Caller, uow: Uow) -> dict[str, Any]:
    require_role(by, EDITORS, "cancel imports")
    job = await handlers.cancel_import(CancelImport(by=by, import_id=import_id), uow)
    return _view(job, await uow.imports.counters(job.id))


@router.get("/{import_id}/errors")
async def import_errors(
    import_id: str, by: Caller, uow: Uow, format: Literal["csv"] = "csv"
) -> StreamingResponse:
    """Every failed or skipped row, and rows that could not do all they asked (a blocked
    contact not opted in, a group refused): why, and the row as it was in the file."""
    job = await handlers.load(uow, by, import_id)
    header = job.detected.header if job.detected else []

    async def lines() -> AsyncIterator[list[str]]:
        yield [*REPORT_COLUMNS, *header]
        after: str | None = None
        while page := await uow.imports.report_page(job.id, after, REPORT_PAGE):
            for entry in page:
                values = [
                    str(entry.get(k) if entry.get(k) is not None else "") for k in REPORT_COLUMNS
                ]
                yield [neutralize(v) for v in [*values, *entry.get("original", [])]]
            after = page[-1]["_id"]

    return StreamingResponse(
        csv_stream(lines()),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": attachment(f"{job.file_name}.errors.csv")},
    )
