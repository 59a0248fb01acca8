"""A workbook's shared-strings table: in memory while small, beyond that in a temporary file
beside the upload.

As Python strings, the table of a real million-row workbook (three million strings, some
100 MB of XML) takes several hundred MB; here a string costs 4 bytes of memory (where it ends)
and, for a large table, a read from the file (mostly the page cache) when a cell uses it.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from pathlib import Path
from types import TracebackType
from typing import IO

SPILL_BYTES = 8 << 20


class SharedStrings:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._file: IO[bytes] | None = None
        self._ends = array("I")  # the part, hence the table, is under 4 GiB (a setting bound)
        self._pending = bytearray()  # the whole table while it is small
        self._size = 0

    def add(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._pending += data
        self._size += len(data)
        self._ends.append(self._size)
        if len(self._pending) >= SPILL_BYTES:
            self._spill()

    def finish(self) -> None:
        """Writes what waits, once the table is large enough to live in its file."""
        if self._file is not None:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:  # open as long as the table: closed by close()
            self._file = tempfile.TemporaryFile(dir=self._directory, prefix="strings-")  # noqa: SIM115
        self._file.write(self._pending)
        self._file.flush()
        self._pending = bytearray()

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self._ends):
            raise IndexError(f"a cell refers to shared string {index}, which does not exist")
        end = self._ends[index]
        start = self._ends[index - 1] if index else 0
        if self._file is None:
            data = bytes(self._pending[start:end])
        else:
            data = os.pread(self._file.fileno(), end - start, start)
        return data.decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> SharedStrings:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
