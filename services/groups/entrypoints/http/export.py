"""`GET /v1/groups/{id}/export`: every member as CSV or XLSX, streamed page by page.

CSV goes out as it is read. XLSX is written by openpyxl in write-only mode (rows go to a temporary
file, not memory) and the finished file is streamed; memory stays bounded either way.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from openpyxl import Workbook

from services.groups.domain.export import header, row
from services.groups.domain.model import Group
from services.groups.entrypoints.http.dependencies import get_uow
from services.groups.service_layer import handlers
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal
from shared.http.security import authenticate

router = APIRouter(prefix="/v1/groups", tags=["groups"])
CHUNK = 1 << 16
EXPORT_PAGE = 1000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/{group_id}/export")
async def export_members(
    group_id: str,
    by: Annotated[Principal, Depends(authenticate)],
    uow: Annotated[GroupsUnitOfWork, Depends(get_uow)],
    format: Literal["csv", "xlsx"] = "csv",
) -> StreamingResponse:
    group = await handlers.load_visible(uow, by, group_id)
    rows = _rows(uow, by, group)
    body = _csv(rows) if format == "csv" else _xlsx(rows)
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": attachment(f"{group.name}.{format}")},
    )


def attachment(filename: str) -> str:
    """RFC 6266: an ASCII fallback name, and the real (UTF-8) one for clients that read it."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _rows(uow: GroupsUnitOfWork, by: Principal, group: Group) -> AsyncIterator[list[str]]:
    settings = await uow.organizations.get(group.org_id)
    keys = sorted(settings.fields)
    names = {g.id: g.name for g in await uow.groups.find(group.org_id) if g.visible_to(by)}
    yield header(keys)
    after: str | None = None
    # A page per query: a client reading slowly never holds a cursor open.
    while page := await uow.contacts.members(
        group.org_id, group.id, after=after, limit=EXPORT_PAGE
    ):
        for contact in page:
            yield row(contact, keys, names)
        after = page[-1].id


async def _csv(rows: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()  # so spreadsheets read UTF-8
    async for values in rows:
        writer.writerow(values)
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def _xlsx(rows: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    async for values in rows:
        sheet.append(values)
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
