"""The ImportJob aggregate: one uploaded file on its way through
queued → validating → importing → completed | failed | cancelled.

Counters live on the job's batches (each batch records its own outcome once, idempotently) and
are summed when asked for, so no crash can count a batch twice or lose one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.importer.domain.errors import ImportFinished
from shared.contracts.envelope import EventPayload
from shared.contracts.imports import (
    ImportCompleted,
    ImportCounters,
    ImportMode,
    ImportProgressed,
    ImportStarted,
    ImportStatus,
)

TERMINAL: tuple[ImportStatus, ...] = ("completed", "failed", "cancelled")
PROGRESS_EVERY = timedelta(seconds=1)


@dataclass(frozen=True)
class ImportOptions:
    mode: ImportMode = "create"
    group: str | None = None  # every imported contact joins it (created if missing)
    opt_in: bool = False
    default_country: str | None = None
    create_fields: bool = True
    mapping: dict[str, str] = field(default_factory=dict)  # header → target, overrides detection


@dataclass(frozen=True)
class Detected:
    """What validation found out about the file."""

    encoding: str | None
    delimiter: str | None
    header: list[str]
    mapping: dict[str, str]
    new_fields: dict[str, dict[str, str]]  # key → {label, type}
    total_rows: int


@dataclass
class ImportJob:
    id: str
    org_id: str
    file_name: str
    file_format: str  # csv | xlsx
    file_size: int
    options: ImportOptions
    created_by: str
    created_at: datetime
    status: ImportStatus = "queued"
    detected: Detected | None = None
    rows_read: int = 0
    batches_written: int = 0
    reading_done: bool = False
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress_at: datetime | None = None
    report_deleted_at: datetime | None = None
    version: int = 0
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def total_rows(self) -> int:
        return self.detected.total_rows if self.detected else 0

    def start_validating(self, now: datetime) -> None:
        if self.status == "queued":
            self.status = "validating"
            self._touch(now)

    def start_importing(self, detected: Detected, now: datetime) -> None:
        """Nothing once finished: a job cancelled while its file was validated stays so."""
        if self.finished:
            return
        self.detected = detected
        self.status = "importing"
        self.started_at = now
        self._touch(now)
        self.events.append(
            ImportStarted(
                import_id=self.id,
                file_name=self.file_name,
                mode=self.options.mode,
                total_rows=detected.total_rows,
                started_at=now,
            )
        )

    def record_batch_written(self, batch: int, last_row_read: int, now: datetime) -> None:
        self.batches_written = batch
        self.rows_read = last_row_read
        self._touch(now)

    def finish_reading(self, now: datetime) -> None:
        self.reading_done = True
        self._touch(now)

    def progressed(self, counters: ImportCounters, now: datetime) -> bool:
        """At most one ImportProgressed per PROGRESS_EVERY; False when it is too early."""
        if self.finished or (self.progress_at and now - self.progress_at < PROGRESS_EVERY):
            return False
        self.progress_at = now
        self._touch(now)
        self.events.append(
            ImportProgressed(
                import_id=self.id, total_rows=self.total_rows, counters=counters, at=now
            )
        )
        return True

    def complete(self, counters: ImportCounters, now: datetime) -> None:
        self._end("completed", counters, now)

    def fail(self, error: str, counters: ImportCounters, now: datetime) -> None:
        self.error = error
        self._end("failed", counters, now)

    def cancel(self, counters: ImportCounters, now: datetime) -> None:
        if self.finished:
            raise ImportFinished(f"the import is already {self.status}", status=self.status)
        self._end("cancelled", counters, now)

    def _end(self, status: Any, counters: ImportCounters, now: datetime) -> None:
        if self.finished:
            return
        self.status = status
        self.finished_at = now
        self._touch(now)
        self.events.append(
            ImportCompleted(
                import_id=self.id,
                status=status,
                total_rows=self.total_rows,
                counters=counters,
                error=self.error,
                completed_at=now,
            )
        )

    def report_deleted(self, now: datetime) -> None:
        """Its error report (rows as they were in the file) is gone, its retention over."""
        if self.finished and self.report_deleted_at is None:
            self.report_deleted_at = now
            self._touch(now)

    def _touch(self, now: datetime) -> None:
        self.version += 1
