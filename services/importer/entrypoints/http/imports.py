"""Routes of the importer: thin, they store the upload and translate HTTP to commands."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from services.importer.domain.commands import CancelImport, PreviewImport, StartImport
from services.importer.domain.errors import ImportReportDeleted, InvalidImport
from services.importer.domain.job import ImportJob, ImportOptions
from services.importer.entrypoints.http.dependencies import Uow
from services.importer.entrypoints.http.schemas import (
    ImportList,
    ImportOptionsView,
    ImportView,
    PreviewView,
)
from services.importer.service_layer import queries
from services.importer.service_layer.templates import template_rows
from shared.auth import Role
from shared.contracts.imports import ImportCounters
from shared.http.dependencies import Bus, Caller
from shared.http.errors import ErrorResponse
from shared.http.security import require_role
from shared.http.spreadsheets import (
    CSV_RESPONSES,
    MEDIA_TYPES,
    SPREADSHEET_RESPONSES,
    attachment,
    csv_stream,
    neutralize,
    xlsx_stream,
)

router = APIRouter(prefix="/v1/imports", tags=["imports"])

EDITORS = (Role.ADMIN, Role.MANAGER)
UPLOAD_CHUNK = 1 << 20
REPORT_PAGE = 1000
REPORT_COLUMNS = ["row", "outcome", "column", "value", "code", "message"]


def _view(job: ImportJob, counters: ImportCounters) -> ImportView:
    return ImportView(
        id=job.id,
        status=job.status,
        file_name=job.file_name,
        format=job.file_format,
        size_bytes=job.file_size,
        options=ImportOptionsView(**job.options.__dict__),
        total_rows=job.total_rows,
        counters=counters,
        mapping=job.detected.mapping if job.detected else None,
        new_fields=job.detected.new_fields if job.detected else None,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        errors_url=f"/v1/imports/{job.id}/errors?format=csv",
        report_deleted_at=job.report_deleted_at,
    )


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


TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The file is over the upload limit"}
}


@router.post("", status_code=202, response_model=ImportView, responses=TOO_LARGE)
async def start_import(
    by: Caller,
    uow: Uow,
    bus: Bus,
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
) -> ImportView:
    require_role(by, EDITORS, "import contacts")
    options = _options(mode, group, opt_in, default_country, create_fields, mapping)
    import_id = str(uuid.uuid4())
    size = await uow.files.save(import_id, _chunks(file))
    try:
        job: ImportJob = await bus.handle(
            StartImport(
                by=by,
                import_id=import_id,
                file_name=file.filename or "import.csv",
                file_size=size,
                options=options,
                add_to_file_group=not no_group,
            )
        )
    except BaseException:
        uow.files.delete(import_id)
        raise
    return _view(job, ImportCounters())


@router.post("/preview", response_model=PreviewView, responses=TOO_LARGE)
async def preview_import(
    by: Caller,
    uow: Uow,
    bus: Bus,
    file: Annotated[UploadFile, File()],
    default_country: Annotated[str | None, Form()] = None,
    mapping: Annotated[str | None, Form()] = None,
) -> PreviewView:
    require_role(by, EDITORS, "import contacts")
    options = _options("create", None, False, default_country, True, mapping)
    preview_id = f"preview-{uuid.uuid4()}"
    await uow.files.save(preview_id, _chunks(file))
    try:
        preview: dict[str, Any] = await bus.handle(
            PreviewImport(by=by, import_id=preview_id, options=options)
        )
        return PreviewView.model_validate(preview)
    finally:
        uow.files.delete(preview_id)


@router.get("/template", response_class=StreamingResponse, responses=SPREADSHEET_RESPONSES)
async def get_import_template(
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


@router.get("", response_model=ImportList)
async def list_imports(
    by: Caller, uow: Uow, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> ImportList:
    jobs = await uow.imports.recent(by.org_id, limit)
    return ImportList(items=[_view(job, await uow.imports.counters(job.id)) for job in jobs])


@router.get("/{import_id}", response_model=ImportView)
async def get_import(import_id: str, by: Caller, uow: Uow) -> ImportView:
    job, counters = await queries.with_counters(uow, by, import_id)
    return _view(job, counters)


@router.post("/{import_id}/cancel", response_model=ImportView)
async def cancel_import(import_id: str, by: Caller, uow: Uow, bus: Bus) -> ImportView:
    require_role(by, EDITORS, "cancel imports")
    job: ImportJob = await bus.handle(CancelImport(by=by, import_id=import_id))
    return _view(job, await uow.imports.counters(job.id))


@router.get("/{import_id}/errors", response_class=StreamingResponse, responses=CSV_RESPONSES)
async def get_import_errors(
    import_id: str, by: Caller, uow: Uow, format: Literal["csv"] = "csv"
) -> StreamingResponse:
    """Every failed or skipped row, and rows that could not do all they asked (a blocked
    contact not opted in, a group refused): why, and the row as it was in the file."""
    job = await queries.load(uow, by, import_id)
    if job.report_deleted_at is not None:
        raise ImportReportDeleted(
            "the import's error report was deleted when its retention ended",
            deleted_at=job.report_deleted_at.isoformat(),
        )
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
