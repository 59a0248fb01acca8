"""The rows of a text upload through the standard library's csv module, within bounds.

The csv module reads a line whole, and a quoted field across as many lines as it likes: a file
without a newline would be held whole. Lines are therefore handed to it at most a row's worth
of characters at a time, and a row (every line it spans) over the limit is refused as soon as
it gets there. NUL characters mean the file is no text at all (a binary file, or a UTF-16 one
mistaken for something else).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from services.importer.domain.errors import (
    CellTooLong,
    RowTooLong,
    TooManyColumns,
    TooManyRows,
    UnreadableFile,
)
from services.importer.domain.files import FileLimits

# The csv module's own bound on a field (process-wide): above any cell limit allowed.
csv.field_size_limit(1 << 20)


class _Lines:
    """The file's lines for csv.reader, counting the characters of the row being read."""

    def __init__(self, text: TextIO, limits: FileLimits) -> None:
        self.text = text
        self.max_chars = limits.max_row_chars
        self.row = 1
        self.chars = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.max_chars + 1)
        if not line:
            raise StopIteration
        self.chars += len(line)
        if self.chars > self.max_chars:
            raise RowTooLong(
                f"a row has at most {self.max_chars:,} characters",
                row=self.row,
                limit=self.max_chars,
            )
        if "\x00" in line:
            raise UnreadableFile(
                "the file has NUL characters: it is not a CSV text file", row=self.row
            )
        return line

    def next_row(self) -> None:
        self.row += 1
        self.chars = 0


def csv_rows(path: Path, encoding: str, delimiter: str, limits: FileLimits) -> Iterator[list[str]]:
    with path.open(encoding=encoding, errors="replace", newline="") as text:
        lines = _Lines(text, limits)
        try:
            for record in csv.reader(lines, delimiter=delimiter):
                yield _bounded(record, lines.row, limits)
                lines.next_row()
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _cell_too_long(lines.row, limits) from None
            raise UnreadableFile(f"the CSV cannot be read: {exc}", row=lines.row) from None


def _bounded(record: list[str], row: int, limits: FileLimits) -> list[str]:
    """The record, once within the row, column and cell limits; empty cells past the last
    column allowed are dropped (a spreadsheet's trailing delimiters)."""
    if row > limits.max_rows + 1:
        raise TooManyRows(f"a file has at most {limits.max_rows:,} rows", limit=limits.max_rows)
    if len(record) > limits.max_columns:
        if any(cell.strip() for cell in record[limits.max_columns :]):
            raise TooManyColumns(
                f"a file has at most {limits.max_columns:,} columns",
                row=row,
                limit=limits.max_columns,
            )
        del record[limits.max_columns :]
    if record and max(map(len, record)) > limits.max_cell_chars:
        raise _cell_too_long(row, limits)
    return record


def _cell_too_long(row: int, limits: FileLimits) -> CellTooLong:
    return CellTooLong(
        f"a cell has at most {limits.max_cell_chars:,} characters",
        row=row,
        limit=limits.max_cell_chars,
    )
