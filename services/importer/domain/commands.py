"""What callers ask the importer to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.importer.domain.job import ImportOptions
from shared.auth import Principal


@dataclass(frozen=True)
class StartImport:
    """The file is already stored under `import_id`."""

    by: Principal
    import_id: str
    file_name: str
    file_size: int
    options: ImportOptions
    add_to_file_group: bool = True  # no group named: a mode-create import makes one


@dataclass(frozen=True)
class CancelImport:
    by: Principal
    import_id: str


@dataclass(frozen=True)
class PreviewImport:
    by: Principal
    import_id: str  # the stored sample file
    options: ImportOptions


@dataclass(frozen=True)
class RunImport:
    """Validate a queued job's file, then read the rest of it into batches (resumable)."""

    import_id: str


@dataclass(frozen=True)
class SettleImport:
    """End the job once read and every batch answered; else report its progress."""

    import_id: str


@dataclass(frozen=True)
class DeleteExpiredReports:
    """Delete the error reports of imports that ended before `ended_before`."""

    ended_before: datetime


@dataclass(frozen=True)
class FailImport:
    """End a job that cannot go on, with the reason."""

    import_id: str
    reason: str
