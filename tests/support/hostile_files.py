"""Uploads built to hurt the importer, small on disk, and the code each must be refused with.

XLSX parts are written by `workbook` (a minimal valid workbook, any part replaced or left
out). A part given as `Repeated` unpacks to gigabytes from a few kilobytes, the way real zip
bombs are made: one deflate block, flushed so that it stands alone, repeated. zipfile cannot
write such a part without compressing all of it (minutes), so `zip_archive` writes the zip.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True)
class Repeated:
    """`head`, then `chunk` `times` over, then `tail`, as one deflated part."""

    head: bytes
    chunk: bytes
    times: int
    tail: bytes

    @property
    def size(self) -> int:
        return len(self.head) + len(self.chunk) * self.times + len(self.tail)

    def deflated(self) -> bytes:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = compressor.compress(self.head) + compressor.flush(zlib.Z_FULL_FLUSH)
        block = compressor.compress(self.chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
        tail = compressor.compress(self.tail) + compressor.flush(zlib.Z_FINISH)
        return head + block * self.times + tail


Part = bytes | Repeated


def zip_archive(parts: Mapping[str, Part]) -> bytes:
    """A zip of deflated parts. A Repeated part's CRC is left 0: computing it would take
    reading gigabytes, and a reader that respects its bounds never gets to check it."""
    body, directory = bytearray(), bytearray()
    for name, part in parts.items():
        encoded = name.encode()
        if isinstance(part, Repeated):
            data, crc, size = part.deflated(), 0, part.size
        else:
            data, crc, size = zlib.compress(part, 9, -15), zlib.crc32(part), len(part)
        fields = (8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0,
                                 len(body))  # fmt: skip
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, *fields) + encoded + data
        directory += encoded
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def sheet_xml(rows: str, head: str = "") -> bytes:
    return (
        XML_DECLARATION
        + (f'<worksheet xmlns="{MAIN}">{head}<sheetData>{rows}</sheetData></worksheet>').encode()
    )


def workbook_parts(**replaced: Part | None) -> dict[str, Part]:
    """The parts of a valid one-sheet workbook (name, phone; one contact), with those given
    by keyword replaced (None: left out). Keywords are part names with `/` and `.` as `_`:
    `xl_sharedStrings_xml`, `xl__rels_workbook_xml_rels`."""
    parts: dict[str, Part] = {
        "[Content_Types].xml": XML_DECLARATION
        + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Default Extension="rels" '
        b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        + b"".join(
            b'<Override PartName="/xl/%s" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.%s+xml"/>' % (part, kind)
            for part, kind in (
                (b"workbook.xml", b"sheet.main"),
                (b"worksheets/sheet1.xml", b"worksheet"),
                (b"sharedStrings.xml", b"sharedStrings"),
            )
        )
        + b"</Types>",
        "_rels/.rels": XML_DECLARATION
        + f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
        f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode(),
        "xl/workbook.xml": XML_DECLARATION
        + f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
        f'<sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(),
        "xl/_rels/workbook.xml.rels": XML_DECLARATION
        + f'<Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        f"</Relationships>".encode(),
        "xl/sharedStrings.xml": XML_DECLARATION
        + f'<sst xmlns="{MAIN}"><si><t>name</t></si><si><t>phone</t></si>'
        f"<si><t>Amina</t></si></sst>".encode(),
        "xl/worksheets/sheet1.xml": sheet_xml(
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>254712345678</v></c></row>'
        ),
    }
    for key, part in replaced.items():
        name = next(n for n in parts if n.replace("/", "_").replace(".", "_") == key)
        if part is None:
            del parts[name]
        else:
            parts[name] = part
    return parts


def workbook(**replaced: Part | None) -> bytes:
    return zip_archive(workbook_parts(**replaced))


_LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)  # each entity ten of the previous: lol9 is a billion "lol"


def hostile_uploads() -> dict[str, tuple[bytes, str]]:
    """name → (file, the code it is refused with); each refused with 422 before any job."""
    strings_head = XML_DECLARATION + f'<sst xmlns="{MAIN}">'.encode()
    return {
        # unpacks to 900 MiB (within the 1 GiB bound) at some 1,000 times its size
        "zip_bomb": (
            workbook(
                xl_worksheets_sheet1_xml=Repeated(
                    sheet_xml("")[:-24], b" " * (1 << 20), 900, b"</sheetData></worksheet>"
                )
            ),
            "compression_ratio_too_high",
        ),
        # shared strings unpacking to 315 MB (the measured 1.8 GB of RSS came from 1.5 GB)
        "huge_shared_strings": (
            workbook(
                xl_sharedStrings_xml=Repeated(
                    strings_head, b"<si><t>Amina</t></si>" * 50_000, 300, b"</sst>"
                )
            ),
            "shared_strings_too_large",
        ),
        "billion_laughs": (
            workbook(
                xl_sharedStrings_xml=XML_DECLARATION
                + f'<!DOCTYPE sst [<!ENTITY lol "lol">{_LAUGHS}]>'
                f'<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>'.encode()
            ),
            "unsafe_xml",
        ),
        "external_entity": (
            workbook(
                xl_worksheets_sheet1_xml=XML_DECLARATION
                + b'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                + sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>')[
                    len(XML_DECLARATION) :
                ]
            ),
            "unsafe_xml",
        ),
        # 100,000 levels in 300 kB: small enough not to be judged by its compression
        "deep_nesting": (
            workbook(xl_worksheets_sheet1_xml=sheet_xml('<row r="1"><c r="A1">' + "<x>" * 100_000)),
            "xml_too_deep",
        ),
        "missing_workbook_relationships": (
            workbook(xl__rels_workbook_xml_rels=None),
            "unreadable_file",
        ),
        "missing_worksheet": (workbook(xl_worksheets_sheet1_xml=None), "unreadable_file"),
        "too_many_parts": (
            zip_archive({**workbook_parts(), **{f"xl/media/{n}.bin": b"" for n in range(12_000)}}),
            "workbook_too_large",
        ),
        "column_beyond_limit": (
            workbook(
                xl_worksheets_sheet1_xml=sheet_xml(
                    '<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c>'
                    '<c r="XFD1" t="inlineStr"><is><t>far away</t></is></c></row>'
                )
            ),
            "too_many_columns",
        ),
        "row_beyond_limit": (
            workbook(
                xl_worksheets_sheet1_xml=sheet_xml(
                    '<row r="1"><c r="A1" t="inlineStr"><is><t>phone</t></is></c></row>'
                    '<row r="1048576"><c r="A1048576"><v>254712345678</v></c></row>'
                )
            ),
            "too_many_rows",
        ),
        "csv_nul_bytes": (b"name,phone\nAmina\x00,+254712345678\n", "unreadable_file"),
        "csv_10mb_single_line": (b"name,phone," + b"x" * (10 << 20) + b"\n", "row_too_long"),
        "csv_too_many_columns": (
            b"phone," + b",".join(b"c%d" % n for n in range(2000)) + b"\n",
            "too_many_columns",
        ),
        "csv_cell_too_long": (
            b"name,phone\n" + b"A" * 9_000 + b",+254712345678\n",
            "cell_too_long",
        ),
    }


def heaviest_rows(max_cell_chars: int, max_row_chars: int, rows: int = 1_100) -> bytes:
    """A workbook within every limit whose rows weigh the most they may: every cell the one
    shared string of the longest cell allowed in 4-byte characters (memory holds each cell
    anew), as many as a row allows, the phone among them, so that a preview also echoes it in
    1,000 errors. About 10 kB."""
    cells = max(1, max_row_chars // max_cell_chars)
    emoji = "\N{GRINNING FACE}" * max_cell_chars
    table = (
        XML_DECLARATION
        + (f'<sst xmlns="{MAIN}"><si><t>phone</t></si><si><t>{emoji}</t></si></sst>').encode()
    )
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    body = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{chr(65 + c)}{r}" t="s"><v>1</v></c>' for c in range(cells))
        + "</row>"
        for r in range(2, rows + 2)
    )
    return workbook(xl_sharedStrings_xml=table, xl_worksheets_sheet1_xml=sheet_xml(header + body))
