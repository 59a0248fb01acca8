"""The first worksheet of an XLSX upload, a row at a time, within bounds.

Not openpyxl's reader: even read-only, it keeps the whole shared-strings table as Python
objects (a real 1,000,000-row workbook took it over 500 MB and two minutes before the first
row), pads every row to the width the sheet claims, and parses whatever the zip holds. Here
the zip is checked before anything is unpacked (`zip_bounds`), each part is parsed as a
stream (`xml_parts`: no DTD, bounded depth and tokens), the shared strings go to a file beside
the upload, and rows come out as the sheet is parsed (`xlsx_cells`).
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

from services.importer.adapters.shared_strings import SharedStrings
from services.importer.adapters.xlsx_cells import SheetReader, StringsReader, StylesReader
from services.importer.adapters.xml_parts import XmlHandler, parse_part, parse_whole
from services.importer.adapters.zip_bounds import (
    check_archive,
    check_directory,
    check_size,
    open_part,
)
from services.importer.domain.errors import SharedStringsTooLarge, UnreadableFile
from services.importer.domain.files import FileLimits

# The workbook, its relationships and styles: no real one comes near this.
MAX_METADATA_BYTES = 32 << 20
_MAX_SHEETS = 4096
# What a damaged zip or part raises on the way; a bound crossed raises a DomainError instead.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    IndexError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
    struct.error,
)


def xlsx_rows(path: Path, limits: FileLimits) -> Iterator[list[object]]:
    """Every row of the first worksheet; rows without values only as [] before a row with
    values (row numbers stay the sheet's)."""
    try:
        yield from _rows(path, limits)
    except _DAMAGED as exc:
        raise UnreadableFile(f"the workbook cannot be read: {exc}") from None


def _rows(path: Path, limits: FileLimits) -> Iterator[list[object]]:
    check_directory(path, limits)
    with zipfile.ZipFile(path) as archive:
        parts = _locate(archive, limits)
        if parts.shared_strings:  # first: its own bound names the problem best
            check_size(
                archive,
                parts.shared_strings,
                limits.max_shared_strings_bytes,
                SharedStringsTooLarge,
            )
        check_archive(archive, limits)
        styles = StylesReader()
        if parts.styles:
            _metadata(archive, parts.styles, styles, limits)
        with SharedStrings(path.parent) as strings:
            if parts.shared_strings:
                with open_part(
                    archive, parts.shared_strings, limits.max_shared_strings_bytes, limits
                ) as stream:
                    reader = StringsReader(strings, limits)
                    parse_whole(stream, parts.shared_strings, reader, limits.max_xml_depth)
                strings.finish()
            sheet = SheetReader(strings, styles.kinds(), parts.epoch, limits)
            with open_part(archive, parts.sheet, limits.max_unzipped_bytes, limits) as stream:
                for _ in parse_part(stream, parts.sheet, sheet, limits.max_xml_depth):
                    yield from sheet.take()


def _metadata(archive: zipfile.ZipFile, name: str, handler: XmlHandler, limits: FileLimits) -> None:
    with open_part(archive, name, MAX_METADATA_BYTES, limits) as stream:
        parse_whole(stream, name, handler, limits.max_xml_depth)


# ---------------------------------------------------------------------------------------------
# Which parts: package relationships → workbook → its relationships → first worksheet
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    sheet: str
    styles: str | None
    shared_strings: str | None
    epoch: datetime


class _Relationships(XmlHandler):
    """Targets, resolved against the source's folder: by id (of the ids wanted), and the
    first of each type."""

    def __init__(self, folder: str, ids: frozenset[str] = frozenset()) -> None:
        super().__init__({"Relationship": self._relationship})
        self.folder = folder
        self.ids = ids
        self.by_id: dict[str, tuple[str, str]] = {}
        self.by_type: dict[str, str] = {}

    def _relationship(self, attrs: dict[str, str]) -> None:
        if attrs.get("TargetMode") == "External":
            return
        target = attrs.get("Target", "")
        resolved = posixpath.normpath(
            target[1:] if target.startswith("/") else posixpath.join(self.folder, target)
        )
        kind = attrs.get("Type", "").rsplit("/", 1)[-1]
        if attrs.get("Id") in self.ids:
            self.by_id[attrs["Id"]] = (kind, resolved)
        if len(self.by_type) < _MAX_SHEETS:
            self.by_type.setdefault(kind, resolved)


class _Workbook(XmlHandler):
    def __init__(self) -> None:
        super().__init__({"sheet": self._sheet, "workbookPr": self._properties})
        self.sheet_ids: list[str] = []
        self.date1904 = False

    def _sheet(self, attrs: dict[str, str]) -> None:
        if len(self.sheet_ids) < _MAX_SHEETS:
            # r:id, whichever namespace (transitional or strict) r stands for
            self.sheet_ids.append(next((v for k, v in attrs.items() if k.endswith("}id")), ""))

    def _properties(self, attrs: dict[str, str]) -> None:
        self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")


def _locate(archive: zipfile.ZipFile, limits: FileLimits) -> _Parts:
    names = set(archive.namelist())
    package = _Relationships("")
    if "_rels/.rels" in names:
        _metadata(archive, "_rels/.rels", package, limits)
    workbook_part = package.by_type.get("officeDocument", "xl/workbook.xml")
    if workbook_part not in names:
        raise UnreadableFile("the file is a zip but not an XLSX workbook (no workbook part)")
    workbook = _Workbook()
    _metadata(archive, workbook_part, workbook, limits)
    folder, file_name = posixpath.split(workbook_part)
    rels_part = posixpath.join(folder, "_rels", f"{file_name}.rels")
    if rels_part not in names:
        raise UnreadableFile(f"the workbook has no relationships part ({rels_part})")
    relationships = _Relationships(folder, frozenset(workbook.sheet_ids))
    _metadata(archive, rels_part, relationships, limits)
    sheets = filter(None, (relationships.by_id.get(i) for i in workbook.sheet_ids))
    sheet = next((target for kind, target in sheets if kind == "worksheet"), None)
    if sheet is None or sheet not in names:
        raise UnreadableFile("the workbook has no worksheet")
    styles = relationships.by_type.get("styles")
    shared = relationships.by_type.get("sharedStrings")
    return _Parts(
        sheet=sheet,
        styles=styles if styles in names else None,
        shared_strings=shared if shared in names else None,
        epoch=MAC_EPOCH if workbook.date1904 else WINDOWS_EPOCH,
    )
