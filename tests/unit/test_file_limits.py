"""The readers' bounds: every hostile file refused with its code before anything large is
unpacked or parsed, each limit at its edge (small limits, so the files stay small), what a
real workbook writes still read as openpyxl reads it, and no damage raising anything but a
DomainError (a 500 otherwise)."""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl.utils.datetime
import openpyxl.xml
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from services.importer.adapters.readers import FileFormat, count_rows, read_rows, sniff
from services.importer.adapters.shared_strings import SPILL_BYTES
from services.importer.adapters.xml_parts import MAX_TOKEN_BYTES
from services.importer.adapters.zip_bounds import RATIO_FLOOR_BYTES
from services.importer.bootstrap import file_limits
from services.importer.domain.files import FileLimits
from shared.errors import DomainError
from shared.settings import ServiceSettings
from tests.support.hostile_files import (
    DOC_RELS,
    MAIN,
    XML_DECLARATION,
    hostile_uploads,
    sheet_xml,
    workbook,
    workbook_parts,
    zip_archive,
)

HOSTILE = hostile_uploads()


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return path


def _refused(path: Path, limits: FileLimits | None = None) -> DomainError:
    with pytest.raises(DomainError) as refused:
        sniff(path, limits or FileLimits())
    assert refused.value.status == 422
    return refused.value


def _rows(path: Path, limits: FileLimits | None = None) -> list[list[object]]:
    return list(read_rows(path, sniff(path, limits or FileLimits())))


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(*rows: list[str]) -> bytes:
    """Rows of inline strings from A1 on."""
    cells = (
        f'<row r="{r}">'
        + "".join(_inline(f"{chr(65 + c)}{r}", text) for c, text in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    return sheet_xml("".join(cells))


def test_the_default_limits_are_the_settings_defaults() -> None:
    assert file_limits(ServiceSettings()) == FileLimits()


def test_openpyxl_would_parse_with_defusedxml() -> None:
    """Uploads never reach openpyxl's parser (see xlsx.py); were one to, it is defused."""
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_by_sniff(tmp_path: Path, name: str) -> None:
    content, code = HOSTILE[name]
    assert len(content) < 11 << 20  # small on disk, whatever they unpack to
    assert _refused(_write(tmp_path, content)).code == code


def test_the_minimal_workbook_of_the_hostile_files_is_valid(tmp_path: Path) -> None:
    assert _rows(_write(tmp_path, workbook())) == [["name", "phone"], ["Amina", 254712345678]]


# ---------------------------------------------------------------------------------------------
# Each limit at its edge
# ---------------------------------------------------------------------------------------------

XLSX_LIMITS = [
    pytest.param(
        _sheet(["phone"], ["1"], ["2"], ["3"]), FileLimits(max_rows=2), "too_many_rows", id="rows"
    ),
    pytest.param(
        _sheet(["phone", "a", "b"], ["1", "2", "3"]),
        FileLimits(max_columns=2),
        "too_many_columns",
        id="columns",
    ),
    pytest.param(
        _sheet(["phone"], ["x" * 11]), FileLimits(max_cell_chars=10), "cell_too_long", id="cell"
    ),
    pytest.param(
        _sheet(["phone", "a", "b"], ["x" * 8, "x" * 8, "x" * 8]),
        FileLimits(max_cell_chars=10, max_row_chars=20),
        "row_too_long",
        id="row",
    ),
    pytest.param(
        sheet_xml("<row>" + "<x>" * 9 + "</x>" * 9 + "</row>"),
        FileLimits(max_xml_depth=11),
        "xml_too_deep",
        id="depth",
    ),
]


@pytest.mark.parametrize(("sheet", "limits", "code"), XLSX_LIMITS)
def test_xlsx_limits(tmp_path: Path, sheet: bytes, limits: FileLimits, code: str) -> None:
    path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=sheet))
    assert _refused(path, limits).code == code
    _rows(path)  # within the default limits


def test_a_row_may_repeat_no_column_beyond_the_limit(tmp_path: Path) -> None:
    """Cells without a position, or repeating one, still count as the row's cells."""
    cells = "".join(f'<c t="inlineStr"><is><t>{n}</t></is></c>' for n in range(5))
    repeated = "".join(_inline("A1", str(n)) for n in range(5))
    for row in (cells, repeated):
        path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=sheet_xml(f"<row>{row}</row>")))
        assert _refused(path, FileLimits(max_columns=4)).code == "too_many_columns"


@pytest.mark.parametrize(
    ("strings", "limits", "code"),
    [
        pytest.param(
            ["a", "b", "c", "d"], FileLimits(max_shared_strings=3), "shared_strings_too_large"
        ),
        pytest.param(["x" * 11], FileLimits(max_cell_chars=10), "cell_too_long"),
        pytest.param(
            ["x" * 500], FileLimits(max_shared_strings_bytes=400), "shared_strings_too_large"
        ),
    ],
)
def test_shared_strings_limits(
    tmp_path: Path, strings: list[str], limits: FileLimits, code: str
) -> None:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    table = XML_DECLARATION + f'<sst xmlns="{MAIN}">{items}</sst>'.encode()
    path = _write(tmp_path, workbook(xl_sharedStrings_xml=table))
    assert _refused(path, limits).code == code


def test_the_whole_zip_is_bounded_whether_a_part_is_read_or_not(tmp_path: Path) -> None:
    parts = {**workbook_parts(), "xl/media/picture.bin": os.urandom(4096)}
    path = _write(tmp_path, zip_archive(parts))
    assert _refused(path, FileLimits(max_unzipped_bytes=4096)).code == "workbook_too_large"
    assert _refused(path, FileLimits(max_zip_entries=6)).code == "workbook_too_large"
    _rows(path, FileLimits(max_zip_entries=7))


def test_a_part_is_judged_by_its_compression_ratio_above_a_floor(tmp_path: Path) -> None:
    small = _write(
        tmp_path, workbook(xl_worksheets_sheet1_xml=sheet_xml(" " * (RATIO_FLOOR_BYTES // 2)))
    )
    _rows(small)  # compresses a thousand times, but small: harmless
    big = tmp_path / "big"
    big.write_bytes(workbook(xl_worksheets_sheet1_xml=sheet_xml(" " * (RATIO_FLOOR_BYTES + 1))))
    assert _refused(big).code == "compression_ratio_too_high"
    _rows(big, FileLimits(max_compression_ratio=2000))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(f'<row r="1" note="{os.urandom(MAX_TOKEN_BYTES).hex()}"/>', id="attribute"),
        pytest.param(f"<!-- {os.urandom(MAX_TOKEN_BYTES).hex()} -->", id="comment"),
    ],
)
def test_a_token_the_parser_would_hold_whole_is_refused(tmp_path: Path, token: str) -> None:
    """Random hex: it does not compress, so only the token's length refuses it."""
    path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=sheet_xml(token)))
    assert _refused(path).code == "xml_token_too_long"


def test_long_text_streams_through_the_parser(tmp_path: Path) -> None:
    """Text is never held by the parser: only the cell limit bounds it."""
    text = os.urandom(MAX_TOKEN_BYTES).hex()
    path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=_sheet(["phone"], [text])))
    assert _rows(path, FileLimits(max_cell_chars=len(text), max_row_chars=len(text))) == [
        ["phone"],
        [text],
    ]
    assert _refused(path).code == "cell_too_long"


CSV_LIMITS = [
    pytest.param(b"phone\n1\n2\n3\n", FileLimits(max_rows=2), "too_many_rows", id="rows"),
    pytest.param(
        b"phone,a,b\n1,2,3\n", FileLimits(max_columns=2), "too_many_columns", id="columns"
    ),
    pytest.param(
        b"phone\nxxxxxxxxxxx\n", FileLimits(max_cell_chars=10), "cell_too_long", id="cell"
    ),
    pytest.param(b"phone,a\n" + b"x" * 30 + b",1\n", FileLimits(max_row_chars=20), "row_too_long"),
    pytest.param(
        b'phone,notes\n1,"' + b"line\n" * 10 + b'"\n',
        FileLimits(max_row_chars=40),
        "row_too_long",
        id="quoted-lines-of-one-row",
    ),
    pytest.param(b"phone\n1\x00\n", FileLimits(), "unreadable_file", id="nul"),
]


@pytest.mark.parametrize(("content", "limits", "code"), CSV_LIMITS)
def test_csv_limits(tmp_path: Path, content: bytes, limits: FileLimits, code: str) -> None:
    path = _write(tmp_path, content)
    assert _refused(path, limits).code == code


def test_csv_limits_hold_at_their_edge(tmp_path: Path) -> None:
    path = _write(tmp_path, b'phone,a\n1,2\n"' + b"x" * 8 + b'",\n')
    limits = FileLimits(max_rows=2, max_columns=2, max_cell_chars=8, max_row_chars=12)
    assert _rows(path, limits) == [["phone", "a"], ["1", "2"], ["x" * 8, ""]]


def test_empty_cells_past_the_column_limit_are_dropped(tmp_path: Path) -> None:
    """Spreadsheets save trailing delimiters; only cells with something in them count."""
    path = _write(tmp_path, b"phone,a,,,,\n1,2,, ,,\n")
    assert _rows(path, FileLimits(max_columns=2)) == [["phone", "a"], ["1", "2"]]


# ---------------------------------------------------------------------------------------------
# What real workbooks write
# ---------------------------------------------------------------------------------------------


def test_a_sheet_claiming_every_column_and_row_is_read_as_wide_as_its_cells(tmp_path: Path) -> None:
    """openpyxl pads every row to the claimed `dimension`: 16,384 cells a row here."""
    sheet = sheet_xml(
        '<row r="1">' + _inline("A1", "phone") + '</row><row r="2"><c r="A2"><v>1</v></c></row>',
        head='<dimension ref="A1:XFD1048576"/>',
    )
    path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=sheet))
    assert _rows(path) == [["phone"], [1]]


def test_rows_keep_their_sheet_numbers_from_the_used_range(tmp_path: Path) -> None:
    """Empty rows between are kept (row numbers are the sheet's, for the error report),
    trailing ones dropped; the used range (`dimension`) starts where openpyxl starts."""
    sheet = sheet_xml(
        '<row r="3">' + _inline("B3", "phone") + _inline("C3", "name") + "</row>"
        '<row r="4"><c r="B4" s="1"/></row>'
        '<row r="6"><c r="B6"><v>1</v></c></row>'
        '<row r="9"><c r="C9" s="1"/></row>',
        head='<dimension ref="B3:C9"/>',
    )
    path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=sheet))
    assert _rows(path) == [["phone", "name"], [], [], [1, None]]


def test_a_large_shared_strings_table_is_read_back_from_its_file(tmp_path: Path) -> None:
    texts = [f"{n:05d}é" + os.urandom(2000).hex() for n in range(SPILL_BYTES // 4000 + 100)]
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    table = XML_DECLARATION + f'<sst xmlns="{MAIN}">{items}</sst>'.encode()
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{r - 1}</v></c></row>' for r in range(1, len(texts) + 1)
    )
    path = _write(
        tmp_path, workbook(xl_sharedStrings_xml=table, xl_worksheets_sheet1_xml=sheet_xml(rows))
    )
    assert _rows(path) == [[t] for t in texts]


def test_cells_are_typed_as_openpyxl_types_them(tmp_path: Path) -> None:
    styles = (
        XML_DECLARATION
        + (
            f'<styleSheet xmlns="{MAIN}"><numFmts count="1">'
            '<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
            '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="20"/>'
            '<xf numFmtId="46"/></cellXfs></styleSheet>'
        ).encode()
    )
    rels = (
        XML_DECLARATION
        + (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" '
            'Target="/xl/worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ).encode()
    )
    strings = (
        XML_DECLARATION
        + (
            f'<sst xmlns="{MAIN}"><si><r><t>Ami</t></r><r><rPr><b/></rPr><t>na</t></r>'
            "<rPh><t>アミナ</t></rPh></si><si><t>line_x000D_break_x005F_x000D_</t></si></sst>"
        ).encode()
    )
    cells = (
        '<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" s="1"><v>45000</v></c><c r="D1" s="2"><v>0.5</v></c>'
        '<c r="E1" s="3"><v>1.5</v></c><c r="F1" t="b"><v>1</v></c>'
        '<c r="G1" t="e"><v>#N/A</v></c><c r="H1" t="str"><f>A1</f><v>Amina</v></c>'
        '<c r="I1" t="d"><v>2024-02-01T10:00:00</v></c><c r="J1"><v>2.5E+3</v></c>'
        '<c r="K1" t="inlineStr"><is><t>in &amp; line</t></is></c><c r="L1"><f>1+1</f></c>'
        '<c r="M1"><v>7</v></c>'
    )
    parts = workbook_parts(
        xl__rels_workbook_xml_rels=rels,
        xl_sharedStrings_xml=strings,
        xl_worksheets_sheet1_xml=sheet_xml(f'<row r="1">{cells}</row>'),
    )
    path = _write(tmp_path, zip_archive({**parts, "xl/styles.xml": styles}))
    (row,) = _rows(path)
    assert row == [
        "Amina",
        "line\rbreak_x000D_",
        datetime(2023, 3, 15),
        time(12, 0),
        timedelta(days=1, hours=12),
        True,
        "#N/A",
        "Amina",
        datetime(2024, 2, 1, 10, 0),
        2500.0,
        "in & line",
        None,
        7,
    ]


def test_a_1904_workbook_counts_dates_from_1904(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    book = Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.append(["joined"])
    sheet.append([date(2024, 2, 1)])
    book.save(buffer)
    assert _rows(_write(tmp_path, buffer.getvalue())) == [["joined"], [datetime(2024, 2, 1)]]


def test_prefixed_and_strict_namespaces_are_read(tmp_path: Path) -> None:
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    sheet = (
        XML_DECLARATION
        + (
            f'<x:worksheet xmlns:x="{strict}"><x:sheetData><x:row r="1">'
            '<x:c r="A1" t="inlineStr"><x:is><x:t>phone</x:t></x:is></x:c></x:row>'
            "</x:sheetData></x:worksheet>"
        ).encode()
    )
    path = _write(tmp_path, workbook(xl_worksheets_sheet1_xml=sheet))
    assert _rows(path) == [["phone"]]


# ---------------------------------------------------------------------------------------------
# Damage: a DomainError (4xx), never anything else (a 500)
# ---------------------------------------------------------------------------------------------


def _valid_xlsx() -> bytes:
    buffer = io.BytesIO()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "phone", "joined"])
    sheet.append(["Amina", 254712345678, date(2024, 2, 1)])
    book.save(buffer)
    return buffer.getvalue()


VALID_XLSX = _valid_xlsx()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_a_damaged_workbook_is_refused_not_crashed_on(
    tmp_path: Path, flips: list[tuple[int, int]]
) -> None:
    content = bytearray(VALID_XLSX)
    for at, byte in flips:
        content[at] = byte
    path = tmp_path / "damaged"
    path.write_bytes(bytes(content))
    with contextlib.suppress(DomainError):
        _rows(path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(0, 400), insert=st.text(max_size=20))
def test_damaged_sheet_xml_is_refused_not_crashed_on(tmp_path: Path, cut: int, insert: str) -> None:
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as archive:
        parts: dict[str, bytes | object] = {n: archive.read(n) for n in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert isinstance(sheet, bytes)
    at = min(cut, len(sheet))
    parts["xl/worksheets/sheet1.xml"] = sheet[:at] + insert.encode() + sheet[at + 5 :]
    path = tmp_path / "damaged"
    path.write_bytes(zip_archive({n: p for n, p in parts.items() if isinstance(p, bytes)}))
    with contextlib.suppress(DomainError):
        _rows(path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(min_size=1, max_size=2000))
def test_any_bytes_are_read_or_refused_not_crashed_on(tmp_path: Path, content: bytes) -> None:
    path = _write(tmp_path, content)
    with contextlib.suppress(DomainError):
        _rows(path)


def test_a_format_given_without_sniffing_is_bounded_too(tmp_path: Path) -> None:
    """A job restarted after a crash reads its file again without sniffing it."""
    path = _write(tmp_path, b"phone\n1\n2\n3\n")
    with pytest.raises(DomainError) as refused:
        list(read_rows(path, FileFormat("csv", "utf-8", ",", FileLimits(max_rows=2))))
    assert refused.value.code == "too_many_rows"


def test_sniff_counts_the_rows_it_reads(tmp_path: Path) -> None:
    path = _write(tmp_path, b"phone\n1\n\n2\n")
    fmt = sniff(path)
    assert count_rows(path, fmt) == count_rows(path, FileFormat("csv", "utf-8", ",")) == 3


def test_an_old_excel_or_password_protected_workbook_is_named_as_such(tmp_path: Path) -> None:
    """Both are OLE2 compound files, not zips: read as text they would be binary garbage."""
    path = _write(tmp_path, bytes.fromhex("d0cf11e0a1b11ae1") + bytes(1024))
    refused = _refused(path)
    assert refused.code == "unreadable_file"
    assert ".xls" in refused.message and "password" in refused.message
