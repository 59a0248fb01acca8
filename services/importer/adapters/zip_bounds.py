"""A zip upload's bounds, checked before anything in it is unpacked.

The central directory first (zipfile reads it whole into an object per entry), from its end
record; then each part's declared size and compression ratio. The declared size is a real
bound: zipfile never unpacks more than it, and a part that lies about it fails its CRC.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import IO

from services.importer.domain.errors import (
    CompressionRatioTooHigh,
    UnreadableFile,
    WorkbookTooLarge,
)
from services.importer.domain.files import FileLimits
from shared.errors import DomainError

# Parts smaller than this are not judged by their compression ratio: short XML may compress
# far better than a sheet, and cannot hurt.
RATIO_FLOOR_BYTES = 1 << 20
# Central directory bytes allowed per entry: real entries take about 100.
_DIRECTORY_BYTES_PER_ENTRY = 256
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")


def check_directory(path: Path, limits: FileLimits) -> None:
    entries, size = _directory_extent(path)
    if entries > limits.max_zip_entries or size > limits.max_zip_entries * (
        _DIRECTORY_BYTES_PER_ENTRY
    ):
        raise _too_many_entries(entries, limits)


def _too_many_entries(entries: int, limits: FileLimits) -> WorkbookTooLarge:
    return WorkbookTooLarge(
        f"a workbook has at most {limits.max_zip_entries:,} parts",
        entries=entries,
        limit=limits.max_zip_entries,
    )


def _directory_extent(path: Path) -> tuple[int, int]:
    """Entries and bytes of the central directory, from the end record (or Zip64's)."""
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        raw.seek(max(0, size - _END_OF_DIRECTORY.size - 0xFFFF))  # the longest comment
        tail = raw.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END_OF_DIRECTORY.size:
        raise UnreadableFile("the file looks like XLSX but is not a readable workbook")
    fields = _END_OF_DIRECTORY.unpack_from(tail, at)
    entries, directory_bytes = fields[4], fields[5]
    if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF and fields[6] != 0xFFFFFFFF:
        return entries, directory_bytes
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at < 0 or tail[locator_at : locator_at + 4] != b"PK\x06\x07":
        return entries, directory_bytes
    end_at = locator_at - _ZIP64_END.size
    if end_at < 0 or tail[end_at : end_at + 4] != b"PK\x06\x06":
        raise UnreadableFile("the workbook's Zip64 directory is damaged")
    zip64 = _ZIP64_END.unpack_from(tail, end_at)
    return zip64[7], zip64[8]


def check_archive(archive: zipfile.ZipFile, limits: FileLimits) -> None:
    """Every part as it would unpack, whether it is read or not."""
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise _too_many_entries(len(infos), limits)
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise WorkbookTooLarge(
            f"the workbook unpacks to {total:,} bytes; at most {limits.max_unzipped_bytes:,}",
            size_bytes=total,
            limit_bytes=limits.max_unzipped_bytes,
        )
    for info in infos:
        _check_ratio(info.filename, info.file_size, info.compress_size, limits)
    _check_ratio("the workbook", total, sum(i.compress_size for i in infos), limits)


def _check_ratio(name: str, size: int, compressed: int, limits: FileLimits) -> None:
    if size > RATIO_FLOOR_BYTES and size > limits.max_compression_ratio * max(compressed, 1):
        ratio = size / max(compressed, 1)
        raise CompressionRatioTooHigh(
            f"{name} unpacks to {ratio:,.0f} times its size; a spreadsheet compresses at most "
            f"{limits.max_compression_ratio:,.0f} times",
            part=name,
            ratio=round(ratio),
            limit=limits.max_compression_ratio,
        )


def check_size(
    archive: zipfile.ZipFile,
    name: str,
    max_bytes: int,
    refusal: type[DomainError] = WorkbookTooLarge,
) -> zipfile.ZipInfo:
    info = archive.getinfo(name)
    if info.file_size > max_bytes:
        raise refusal(
            f"{name} unpacks to {info.file_size:,} bytes; at most {max_bytes:,} are read",
            part=name,
            size_bytes=info.file_size,
            limit_bytes=max_bytes,
        )
    return info


def open_part(
    archive: zipfile.ZipFile,
    name: str,
    max_bytes: int,
    limits: FileLimits,
    refusal: type[DomainError] = WorkbookTooLarge,
) -> IO[bytes]:
    """A part to stream, once its declared size and ratio are within bounds."""
    info = check_size(archive, name, max_bytes, refusal)
    _check_ratio(name, info.file_size, info.compress_size, limits)
    if info.flag_bits & 0x1:
        raise UnreadableFile("the workbook is encrypted; save it without a password")
    return archive.open(info)
