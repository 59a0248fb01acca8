"""Response bodies of the imports API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.contracts.imports import ImportCounters, ImportMode, ImportStatus


class ImportOptionsView(BaseModel):
    mode: ImportMode
    group: str | None
    opt_in: bool
    default_country: str | None
    create_fields: bool
    mapping: dict[str, str]


class ImportView(BaseModel):
    id: str
    status: ImportStatus
    file_name: str
    format: str = Field(description="csv or xlsx")
    size_bytes: int
    options: ImportOptionsView
    total_rows: int
    counters: ImportCounters
    mapping: dict[str, str] | None = Field(description="Column header → what it fills")
    new_fields: dict[str, dict[str, str]] | None = Field(
        description="Fields the file brings: key → {label, type}"
    )
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    errors_url: str
    report_deleted_at: datetime | None = Field(
        description="When the error report was deleted, its retention after the import ended "
        "over; `errors_url` then answers 410 `import_report_deleted`"
    )


class ImportList(BaseModel):
    items: list[ImportView]


class FileFormatView(BaseModel):
    kind: str
    encoding: str | None
    delimiter: str | None


class PreviewView(BaseModel):
    """What an import of this file would do, from its first rows."""

    format: FileFormatView
    mapping: dict[str, str]
    new_fields: dict[str, dict[str, str]]
    rows: list[dict[str, Any]] = Field(description="The first rows, as they would be sent")
    errors: list[dict[str, Any]] = Field(description="Problems in the first rows")
    sample: dict[str, int] = Field(description="Rows read, and how many are ok or failed")
