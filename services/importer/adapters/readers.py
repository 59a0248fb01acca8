"""Reading uploaded files a row at a time, whatever their size: CSV through the standard
library's csv module (quoted newlines, any common delimiter; UTF-8 with or without BOM, or
Windows-1252), XLSX through openpyxl in read-only mode with formulas' cached values."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from services.importer.domain.errors import UnreadableFile

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
_CHUNK = 1 << 20
csv.field_size_limit(1 << 20)


@dataclass(frozen=True)
class FileFormat:
    kind: str  # csv | xlsx
    encoding: str | None = None
    delimiter: str | None = None


def sniff(path: Path) -> FileFormat:
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise UnreadableFile("the file looks like XLSX but is not a readable workbook")
        return FileFormat("xlsx")
    if not head.strip():
        raise UnreadableFile("the file is empty")
    encoding = _encoding(path, head)
    sample = head.decode(encoding, errors="ignore")
    return FileFormat("csv", encoding, _delimiter(sample))


def _encoding(path: Path, head: bytes) -> str:
    """UTF-8 if the whole file decodes as UTF-8 (checked as a stream), else Windows-1252,
    which also reads every Latin-1 file."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _delimiter(sample: str) -> str:
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        sample = "\n".join(lines[:-1])  # the last line may be cut off
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def read_rows(path: Path, fmt: FileFormat) -> Iterator[list[object]]:
    """Every row, the header first; cells as the format gives them (text, numbers, dates)."""
    if fmt.kind == "xlsx":
        yield from _xlsx_rows(path)
        return
    assert fmt.encoding is not None
    try:
        with path.open(encoding=fmt.encoding, errors="replace", newline="") as text:
            for record in csv.reader(text, delimiter=fmt.delimiter or ","):
                yield list(record)
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV cannot be read: {exc}") from None


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
    """Opened as a stream: openpyxl would judge a path by its extension."""
    with path.open("rb") as stream:
        try:
            workbook = load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise UnreadableFile(f"the workbook cannot be read: {exc}") from None
        try:
            sheet = workbook.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield list(values)
        finally:
            workbook.close()


def count_rows(path: Path, fmt: FileFormat) -> int:
    """Data rows (after the header), for progress and ETA."""
    return max(0, sum(1 for _ in read_rows(path, fmt)) - 1)
