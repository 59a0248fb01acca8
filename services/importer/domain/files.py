"""What an uploaded file is and how far it may be followed, as the importer's handlers see
it (the readers in `adapters/` do the reading).

How far the readers follow an uploaded file before refusing it.

The upload size alone bounds nothing once a file is unpacked or parsed: a few megabytes of
XLSX can unzip to gigabytes, and one CSV line can be the whole file. The defaults let a real
1,000,000-row workbook with a handful of text columns through (its shared strings some 100 MB
unpacked, its sheet a few hundred MB) while keeping the importer well under 300 MB of memory.

Cells and rows are bounded tighter than Excel's 32,767 characters a cell because the importer
holds 1,000 rows at once (a preview's sample, a batch read) and a preview echoes failing cells:
a 15 kB workbook repeating one 32,767-emoji shared string took a preview to 884 MB. Within these
bounds that workbook peaks under 250 MB, and any value longer than 640 characters is refused by
the contacts service anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileLimits:
    max_rows: int = 1_000_000  # after the header
    max_columns: int = 1_000
    max_cell_chars: int = 8_192
    max_row_chars: int = 16_384
    max_unzipped_bytes: int = 1 << 30  # every part of the zip together
    max_compression_ratio: float = 100.0  # per part and for the whole zip
    max_zip_entries: int = 10_000
    max_shared_strings_bytes: int = 256 << 20
    max_shared_strings: int = 8_000_000
    max_xml_depth: int = 64


DEFAULT_LIMITS = FileLimits()


@dataclass(frozen=True)
class FileFormat:
    kind: str  # csv | xlsx
    encoding: str | None = None
    delimiter: str | None = None
    limits: FileLimits = field(default=DEFAULT_LIMITS, compare=False, repr=False)
    # Counted when the file was first read through (sniffed): nobody need read it again.
    data_rows: int | None = field(default=None, compare=False)
