"""`GET /v1/groups/{id}/export`: every member as CSV or XLSX, streamed page by page.

CSV goes out as it is read. XLSX is written by openpyxl in write-only mode (rows go to a temporary
file, not memory) and the finished file is streamed; memory stays bounded either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from services.groups.domain.export import header, row
from services.groups.domain.model import Group
from services.groups.entrypoints.http.dependencies import Uow
from services.groups.service_layer import queries
from services.groups.service_layer.unit_of_work import GroupsUnitOfWork
from shared.auth import Principal
from shared.http.dependencies import Caller
from shared.http.spreadsheets import (
    MEDIA_TYPES,
    SPREADSHEET_RESPONSES,
    attachment,
    csv_stream,
    xlsx_stream,
)

router = APIRouter(prefix="/v1/groups", tags=["groups"])


@router.get("/{group_id}/export", response_class=StreamingResponse, responses=SPREADSHEET_RESPONSES)
async def export_members(
    group_id: str,
    by: Caller,
    uow: Uow,
    format: Literal["csv", "xlsx"] = "csv",
) -> StreamingResponse:
    group = await queries.load_visible(uow, by, group_id)
    rows = _rows(uow, by, group)
    body = csv_stream(rows) if format == "csv" else xlsx_stream(rows, "members")
    return StreamingResponse(
        body,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": attachment(f"{group.name}.{format}")},
    )


async def _rows(uow: GroupsUnitOfWork, by: Principal, group: Group) -> AsyncIterator[list[str]]:
    settings = await uow.organizations.get(group.org_id)
    keys = sorted(settings.fields)
    names = {g.id: g.name for g in await uow.groups.find(group.org_id) if g.visible_to(by)}
    yield header(keys)
    async for page in uow.contacts.member_pages(group.org_id, group.id):
        for contact in page:
            yield row(contact, keys, names)
