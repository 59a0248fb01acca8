"""What the importer's handlers need from the outside world, as `Protocol`s.

The MongoDB and file-system adapters implement them in production; the in-memory fakes under
`tests/fakes/` implement them for the unit tests. The job's events, and the commands each batch
sends, are stored with what they describe (the outbox): no port publishes on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from services.importer.domain.files import FileFormat
from services.importer.domain.job import ImportJob
from services.importer.domain.organization import OrgView
from shared.contracts.envelope import EventPayload
from shared.contracts.imports import ImportCounters

# A stored batch, report entry or batch's cells, as the repository keeps them.
Record = dict[str, Any]


class ImportRepository(Protocol):
    """Jobs (with their events), their batches (each with the command it sends, and its
    counters once answered), the original cells of each batch's rows, and the report."""

    async def add(self, job: ImportJob) -> None: ...

    async def get(self, import_id: str, org_id: str | None = None) -> ImportJob | None: ...

    async def save(self, job: ImportJob, expected_version: int) -> bool:
        """False when someone saved the job since it was read (nothing is stored)."""

    async def unfinished(self) -> list[str]: ...

    async def recent(self, org_id: str, limit: int) -> list[ImportJob]: ...

    async def write_batch(
        self,
        job: ImportJob,
        n: int,
        *,
        last_row: int,
        command: EventPayload | None,
        originals: Mapping[int, list[str]],
        groups: Mapping[int, list[str]],
        report: Sequence[Record],
        counters: Mapping[str, int],
    ) -> None:
        """Stores batch `n` (with its command, sent once stored); repeating it changes nothing."""

    async def batch(self, import_id: str, n: int) -> Record | None: ...

    async def batch_cells(
        self, import_id: str, n: int, originals_of: Collection[int] | None = None
    ) -> Record:
        """`{"originals": {row: cells}, "groups": {row: names}}` of the batch's rows, by row
        number (an `int`, as `write_batch` took them); the original cells of the rows listed
        in `originals_of` only, if given (a report needs those of a few rows at most)."""

    async def last_batch(self, import_id: str) -> Record | None: ...

    async def move_batch(
        self,
        import_id: str,
        n: int,
        *,
        state: str,
        counters: Mapping[str, int] | None = None,
        command: EventPayload | None = None,
        org_id: str = "",
    ) -> None: ...

    async def waiting(self, import_id: str, state: str | None = None) -> int:
        """Batches waiting for an answer: in `state` ("sent": for the contacts service,
        "groups": for the groups service), or in either."""

    async def counters(self, import_id: str) -> ImportCounters: ...

    async def add_report(self, rows: Sequence[Record]) -> None: ...

    async def report_page(self, import_id: str, after: str | None, limit: int) -> list[Record]: ...

    async def ended_with_report(self, ended_before: datetime) -> list[str]:
        """Jobs that ended before then and still have their report."""
        ...

    async def delete_report(self, import_id: str, batches: int) -> None:
        """The job's report rows, and the cells of its batches `1..batches` still held."""
        ...


class FileStore(Protocol):
    """Uploaded files, from upload until the job has read them. Reading is blocking (call it
    in a thread) and bounded: a file over any `FileLimits` is refused with a `DomainError`."""

    async def save(self, import_id: str, chunks: AsyncIterator[bytes]) -> int:
        """Streams the upload to storage; raises `FileTooLarge` over the limit."""

    def delete(self, import_id: str) -> None: ...

    def sniff(self, import_id: str) -> FileFormat:
        """The file's format, found by reading it all once (its rows counted)."""

    def rows(self, import_id: str, fmt: FileFormat) -> Iterator[list[object]]:
        """Every row, the header first, cells as the format gives them."""


class OrgDirectory(Protocol):
    async def get(self, org_id: str) -> OrgView: ...

    async def apply_settings(
        self, org_id: str, sequence: int, default_country: str | None
    ) -> None: ...

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: str | None
    ) -> None:
        """`field_type` None: the field was deleted."""


class ImportRunner(Protocol):
    """The worker that reads jobs into batches, in this process."""

    def wake(self) -> None:
        """A job was created: look for work now."""

    def reply_arrived(self) -> None:
        """A batch was answered: a reader waiting for room may send the next."""

    async def wait_for_reply(self, timeout_s: float) -> None:
        """Returns when a reply arrives, or after `timeout_s`."""
