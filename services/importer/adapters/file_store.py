"""Uploaded files, kept on a volume (a directory; in Kubernetes a persistent volume shared by
the importer's replicas) from upload until the job has read them, and read back through the
bounded readers (`readers`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

from services.importer.adapters.readers import read_rows, sniff
from services.importer.domain.errors import FileTooLarge
from services.importer.domain.files import DEFAULT_LIMITS, FileFormat, FileLimits


class LocalFileStore:
    def __init__(self, root: Path, max_bytes: int, limits: FileLimits = DEFAULT_LIMITS) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.limits = limits

    def path(self, import_id: str) -> Path:
        return self.root / f"{import_id}.upload"

    async def save(self, import_id: str, chunks: AsyncIterator[bytes]) -> int:
        """Streams the upload to disk; a file over the limit is refused and removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(import_id)
        partial = final.with_suffix(".part")
        size = 0
        try:
            with partial.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FileTooLarge(
                            f"a file has at most {self.max_bytes // 1_000_000} MB",
                            limit_bytes=self.max_bytes,
                        )
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(final)
        finally:
            partial.unlink(missing_ok=True)
        return size

    def delete(self, import_id: str) -> None:
        self.path(import_id).unlink(missing_ok=True)

    def sniff(self, import_id: str) -> FileFormat:
        return sniff(self.path(import_id), self.limits)

    def rows(self, import_id: str, fmt: FileFormat) -> Iterator[list[object]]:
        return read_rows(self.path(import_id), replace(fmt, limits=self.limits))
