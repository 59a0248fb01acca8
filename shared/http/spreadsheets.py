"""Spreadsheet downloads (exports, error reports, templates): CSV streamed as it is produced,
XLSX written by openpyxl in write-only mode to a temporary file and then streamed, so memory
stays bounded; cells made safe to open, and file names in any script."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook

CHUNK = 1 << 16
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# How routes that answer a file document it (OpenAPI `responses`).
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPES["csv"]: {}}, "description": "A CSV file"}
}
SPREADSHEET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}},
        "description": "A CSV or XLSX file, as `format` asks",
    }
}
# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """Prefixes a would-be formula with an apostrophe, which spreadsheets show as text."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def attachment(filename: str) -> str:
    """RFC 6266: an ASCII fallback name, and the real (UTF-8) one for clients that read it."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def csv_stream(rows: AsyncIterator[list[str]]) -> AsyncIterator[bytes]:
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


async def xlsx_stream(rows: AsyncIterator[list[str]], sheet: str) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    async for values in rows:
        worksheet.append(values)
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
