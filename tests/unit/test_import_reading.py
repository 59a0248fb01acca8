"""Reading import files as people really make them: encodings and delimiters sniffed, XLSX cells,
Excel's mangled phone numbers, invisible Unicode, header detection (Roster, Glific, RapidPro),
explicit mappings, one row read into what it asks of the contacts service, new fields' types.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from services.importer.adapters.readers import (
    SAMPLE_BYTES,
    FileFormat,
    count_rows,
    read_rows,
    sniff,
)
from services.importer.domain.cells import CLEAR, cell_text, parse_flag, recover_number, split_names
from services.importer.domain.errors import InvalidMapping, UnreadableFile
from services.importer.domain.field_types import guess_type
from services.importer.domain.mapping import ColumnMapping, detect_mapping
from services.importer.domain.rows import RowFailure, is_blank, read_row
from shared.contracts.imports import ImportedRow

# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (254712345678, "254712345678"),
        (254712345678.0, "254712345678"),  # Excel's number cell, as a float
        (7.5, "7.5"),
        (date(1990, 5, 17), "1990-05-17"),
        (datetime(2021, 3, 9, 8, 30), "2021-03-09T08:30:00"),
        (time(8, 30), "08:30:00"),
        ("  Amina  ", "Amina"),
        ("\u200b+254712345678", "+254712345678"),  # zero-width space
        ("\ufeffname", "name"),  # BOM
        ("+254\u200e712\u200f345678", "+254712345678"),  # LRM / RLM
        ("\u202a+254712345678\u202c", "+254712345678"),  # LRE ... PDF
        ("Zo\u00ade", "Zoe"),  # soft hyphen
        ("wo\u2060rd", "word"),  # word joiner
        ("Amina\u00a0Njeri", "Amina Njeri"),  # NBSP becomes a space
        ("\u00a0 Amina \u00a0", "Amina"),  # ... and is trimmed at the ends
        ("'+254712345678", "+254712345678"),  # our exports neutralize formulas with '
        ("'=SUM(A1:A2)", "=SUM(A1:A2)"),
        ("'-5", "-5"),
        ("'@handle", "@handle"),
        ("  '+254712345678 ", "+254712345678"),
        ("\u200b'+254712345678", "+254712345678"),
        ("'Brien", "'Brien"),  # not before letters
        ("O'Brien", "O'Brien"),
        ("'", "'"),
        ("--", CLEAR),
    ],
)
def test_cell_text(raw: object, text: str) -> None:
    assert cell_text(raw) == text


@pytest.mark.parametrize(
    "raw",
    [
        "\u061c+254712345678",  # ARABIC LETTER MARK, a direction mark like LRM/RLM
        "\u2066+254712345678\u2069",  # LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE
        "\u2067+254712345678\u2069",  # RIGHT-TO-LEFT ISOLATE ... PDI
        "\u2068+254712345678\u2069",  # FIRST STRONG ISOLATE ... PDI
    ],
)
def test_every_bidi_control_is_stripped(raw: str) -> None:
    """Every Unicode Bidi_Control character is invisible and arrives with copy-paste from
    right-to-left text, like LRM and the LRE..RLO embeddings the cleaner already strips."""
    assert cell_text(raw) == "+254712345678"


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("2.50788383383E+11", "250788383383"),
        ("2.50788383383e+11", "250788383383"),
        ("2,50788383383E+11", "250788383383"),  # decimal comma locales
        ("2.50788383383E11", "250788383383"),
        ("+2.54712345678E+11", "+254712345678"),
        (" 2.50788383383E+11 ", "250788383383"),
        ("254712345678.0", "254712345678"),
        ("254712345678.00", "254712345678"),
        ("254712345678,0", "254712345678"),
        ("+254712345678.0", "+254712345678"),
        ("0712345678.0", "0712345678"),
        # Left as they are: not a mangled integer.
        ("1.23456789012345E+5", "1.23456789012345E+5"),
        ("2.5E-3", "2.5E-3"),
        ("254712345678.5", "254712345678.5"),
        ("+254 712 345 678", "+254 712 345 678"),
        ("0712345678", "0712345678"),
        ("+254712345678", "+254712345678"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_recover_number(text: str, digits: str) -> None:
    assert recover_number(text) == digits


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        *((t, True) for t in ["true", "TRUE", " Yes ", "y", "1", "t", "x", "opted_in", "opt_in"]),
        *((t, False) for t in ["false", "No", "n", "0", "f", "opted_out"]),
        ("2021-03-09", True),  # Glific's opt_in is the date of the opt-in
        ("2021-03-09T10:00:00", True),
        ("2021-03-09 10:00:00+00:00", True),
        ("maybe", None),
        ("", None),
        ("09/03/2021", None),
        ("2", None),
    ],
)
def test_parse_flag(text: str, flag: bool | None) -> None:
    assert parse_flag(text) is flag


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("A, B, A", ["A", "B"]),
        ("Parents", ["Parents"]),
        (" , Parents ,, Teachers , ", ["Parents", "Teachers"]),
        ("", []),
        ("Farmers, farmers", ["Farmers", "farmers"]),
    ],
)
def test_split_names(text: str, names: list[str]) -> None:
    assert split_names(text) == names


# ---------------------------------------------------------------------------------------------
# CSV files
# ---------------------------------------------------------------------------------------------

WESTERN = "name,phone\nJosé Peña,+254712345678\nJoão Simões,+254700000001\nFrançois,+254700000002\n"
CYRILLIC = "имя,телефон\nИван Петров,+79161234567\nМария Иванова,+79161234568\n"  # noqa: RUF001

CSV_FILES = [
    pytest.param(
        "\ufeffname,phone\nZoë,+254712345678\n".encode(),
        "utf-8-sig",
        ",",
        [["name", "phone"], ["Zoë", "+254712345678"]],
        id="utf8-bom",
    ),
    pytest.param(
        "name,phone\nZoë,+254712345678\n".encode(),
        "utf-8",
        ",",
        [["name", "phone"], ["Zoë", "+254712345678"]],
        id="utf8",
    ),
    pytest.param(
        "name;phone\nZoë;+254712345678\nRenée;+254700000001\n".encode("cp1252"),
        "cp1252",
        ";",
        [["name", "phone"], ["Zoë", "+254712345678"], ["Renée", "+254700000001"]],
        id="cp1252-semicolon",
    ),
    pytest.param(
        "name,phone,notes\nJosé,+254712345678,\u201csmart\u201d quotes \u2013 and € sign\n".encode(
            "cp1252"
        ),
        "cp1252",
        ",",
        [
            ["name", "phone", "notes"],
            ["José", "+254712345678", "\u201csmart\u201d quotes \u2013 and € sign"],
        ],
        id="cp1252-windows-only-characters",
    ),
    pytest.param(
        WESTERN.encode("cp1252"),
        "cp1252",
        ",",
        [line.split(",") for line in WESTERN.splitlines()],
        id="cp1252-not-mistaken-for-central-european",
    ),
    pytest.param(
        CYRILLIC.encode("cp1251"),
        "cp1251",
        ",",
        [line.split(",") for line in CYRILLIC.splitlines()],
        id="cp1251-cyrillic",
    ),
    *(
        pytest.param(
            bom + "name\tphone\nZoë\t+254712345678\nअमित\t+919876543210\n".encode(codec),
            encoding,
            "\t",
            [["name", "phone"], ["Zoë", "+254712345678"], ["अमित", "+919876543210"]],
            id=name,
        )
        for name, bom, codec, encoding in [
            # What Excel saves as "Unicode Text": UTF-16 LE with a BOM, tab-separated.
            ("utf16-le-bom-excel-unicode-text", codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
            ("utf16-be-bom", codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
            ("utf16-le-no-bom", b"", "utf-16-le", "utf-16-le"),
            ("utf16-be-no-bom", b"", "utf-16-be", "utf-16-be"),
            ("utf32-bom", codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
        ]
    ),
    pytest.param(
        b"name;phone;score\r\nAmina;254712345678;3,5\r\nBob;254700000000;4,25\r\n",
        "utf-8",
        ";",
        [
            ["name", "phone", "score"],
            ["Amina", "254712345678", "3,5"],
            ["Bob", "254700000000", "4,25"],
        ],
        id="semicolon-decimal-commas-crlf",
    ),
    pytest.param(
        b"full name\tphone number\nAmina Njeri\t+254 712 345 678\nBob K\t+255 700 000 000\n",
        "utf-8",
        "\t",
        [
            ["full name", "phone number"],
            ["Amina Njeri", "+254 712 345 678"],
            ["Bob K", "+255 700 000 000"],
        ],
        id="tab",
    ),
    pytest.param(
        b"name|phone|tags\nDoe, Jane|+254712345678|a,b\nX|+255700000000|c\n",
        "utf-8",
        "|",
        [
            ["name", "phone", "tags"],
            ["Doe, Jane", "+254712345678", "a,b"],
            ["X", "+255700000000", "c"],
        ],
        id="pipe-with-commas-inside",
    ),
    pytest.param(
        b"name|phone\nAmina|+254712345678",
        "utf-8",
        "|",
        [["name", "phone"], ["Amina", "+254712345678"]],
        id="pipe-no-final-newline",
    ),
    pytest.param(
        b'name,phone,notes\n"Amina",+254712345678,"line one\nline two, with a comma"\n'
        b'Bob,+255700000000,"x;y|z"\n',
        "utf-8",
        ",",
        [
            ["name", "phone", "notes"],
            ["Amina", "+254712345678", "line one\nline two, with a comma"],
            ["Bob", "+255700000000", "x;y|z"],
        ],
        id="comma-quoted-newline-and-delimiters",
    ),
    pytest.param(
        b'name;phone;notes\n"Doe, Jane";+254712345678;"line one\r\nline two; semi"\n'
        b'Bob;+255700000000;"say ""hi"""\n',
        "utf-8",
        ";",
        [
            ["name", "phone", "notes"],
            ["Doe, Jane", "+254712345678", "line one\r\nline two; semi"],
            ["Bob", "+255700000000", 'say "hi"'],
        ],
        id="semicolon-quoted-newline-and-escaped-quotes",
    ),
    pytest.param(
        b'"name";"phone"\n"Amina";"+254712345678"\n',
        "utf-8",
        ";",
        [["name", "phone"], ["Amina", "+254712345678"]],
        id="semicolon-everything-quoted",
    ),
    pytest.param(
        b"name,phone\nO'Brien,+254712345678\nD'Souza,+255700000000\n",
        "utf-8",
        ",",
        [["name", "phone"], ["O'Brien", "+254712345678"], ["D'Souza", "+255700000000"]],
        id="apostrophes-are-not-quotes",
    ),
    pytest.param(
        b"phone\n+254712345678\n+255700000000\n",
        "utf-8",
        ",",
        [["phone"], ["+254712345678"], ["+255700000000"]],
        id="one-column",
    ),
    pytest.param(
        b"name;phone",
        "utf-8",
        ";",
        [["name", "phone"]],
        id="header-only",
    ),
    pytest.param(
        b"name,phone,a,b\nAmina,+254712345678\nB,+255700000000,x,y\n",
        "utf-8",
        ",",
        [["name", "phone", "a", "b"], ["Amina", "+254712345678"], ["B", "+255700000000", "x", "y"]],
        id="ragged-rows",
    ),
]


@pytest.mark.parametrize(("content", "encoding", "delimiter", "rows"), CSV_FILES)
def test_csv_files_are_sniffed_and_read(
    tmp_path: Path, content: bytes, encoding: str, delimiter: str, rows: list[list[str]]
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    fmt = sniff(path)
    assert fmt == FileFormat("csv", encoding, delimiter)
    assert list(read_rows(path, fmt)) == rows
    assert count_rows(path, fmt) == len(rows) - 1


@pytest.mark.parametrize(
    ("tail", "encoding"),
    [("Zoë".encode(), "utf-8"), ("Zoë".encode("cp1252"), "cp1252")],
    ids=["utf8", "cp1252"],
)
def test_encoding_is_judged_on_the_whole_file(tmp_path: Path, tail: bytes, encoding: str) -> None:
    """The only non-ASCII byte lies far beyond the sniffed sample."""
    filler = b"Amina,+254712345678\n" * 5000
    path = tmp_path / "upload"
    path.write_bytes(b"name,phone\n" + filler + tail + b",+254700000000\n")
    assert path.stat().st_size > SAMPLE_BYTES
    fmt = sniff(path)
    assert fmt == FileFormat("csv", encoding, ",")
    rows = list(read_rows(path, fmt))
    assert rows[-1] == ["Zoë", "+254700000000"]
    assert count_rows(path, fmt) == 5001


def test_a_character_cut_by_the_sample_boundary_is_still_utf8(tmp_path: Path) -> None:
    head = b"name,phone\n"
    path = tmp_path / "upload"
    # "é" is two bytes: the first is the last byte of the sample, the second lies after it.
    lines, rest = divmod(SAMPLE_BYTES - len(head) - 1, len("Amina,1\n"))
    filler = "Amina,1\n" * lines + "x" * rest
    path.write_bytes(head + filler.encode() + "é,1\n".encode())
    fmt = sniff(path)
    assert fmt == FileFormat("csv", "utf-8", ",")
    rows = list(read_rows(path, fmt))
    assert (rows[0], rows[-1], len(rows)) == (["name", "phone"], ["x" * rest + "é", "1"], lines + 2)


def _real_workbook_bytes(tmp_path: Path) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(["name", "phone"])
    sheet.append(["Amina", "+254712345678"])
    workbook.save(tmp_path / "real.xlsx")
    return (tmp_path / "real.xlsx").read_bytes()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b" \r\n\t\n", id="whitespace-only"),
        pytest.param(b"PK\x03\x04 but not a zip at all", id="pk-not-zip"),
        pytest.param(None, id="truncated-xlsx"),
    ],
)
def test_unreadable_files_are_refused_by_sniff(tmp_path: Path, content: bytes | None) -> None:
    if content is None:
        content = _real_workbook_bytes(tmp_path)[:200]
        assert content.startswith(b"PK\x03\x04")
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as refused:
        sniff(path)
    assert refused.value.code == "unreadable_file"


def test_a_zip_that_is_no_workbook_is_refused_by_sniff(tmp_path: Path) -> None:
    """Sniffing reads the whole file, so a bad one is refused before it becomes a job."""
    path = tmp_path / "upload"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a spreadsheet")
    with pytest.raises(UnreadableFile) as refused:
        sniff(path)
    assert refused.value.code == "unreadable_file"
    with pytest.raises(UnreadableFile):
        list(read_rows(path, FileFormat("xlsx")))


# ---------------------------------------------------------------------------------------------
# XLSX files
# ---------------------------------------------------------------------------------------------

XLSX_HEADER = ["Name", "Phone", "WhatsApp", "Date of Birth", "opt_in", "Score", "Total"]


def _workbook(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(XLSX_HEADER)
    sheet.append(
        [
            "Amina\u200b",
            254712345678.0,
            254712345679,
            date(1990, 5, 17),
            datetime(2021, 3, 9, 10, 0),
            7.5,
            "=1+2",
        ]
    )
    sheet.append(["Bob", "2.50788383383E+11", None, None, "no", 3, 4])
    workbook.save(path)


def _patch_sheet(path: Path, replacements: Sequence[tuple[str, str]]) -> None:
    """Rewrites the first sheet's XML, each pattern replaced exactly once."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for pattern, replacement in replacements:
        xml, found = re.subn(pattern, replacement, xml)
        assert found == 1, pattern
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_xlsx_cells_come_typed_and_an_uncomputed_formula_reads_as_none(tmp_path: Path) -> None:
    """openpyxl saves formulas without a cached value (it computes nothing), so a formula cell
    of a workbook openpyxl wrote reads as None with data_only: only Excel's cached results are
    imported."""
    path = tmp_path / "upload"  # stored uploads have no extension
    _workbook(path)
    fmt = sniff(path)
    assert fmt == FileFormat("xlsx")
    rows = list(read_rows(path, fmt))
    assert rows == [
        XLSX_HEADER,
        [
            "Amina\u200b",
            254712345678,
            254712345679,
            datetime(1990, 5, 17),
            datetime(2021, 3, 9, 10, 0),
            7.5,
            None,
        ],
        ["Bob", "2.50788383383E+11", None, None, "no", 3, 4],
    ]
    assert count_rows(path, fmt) == 2


def test_xlsx_cached_formula_values_and_float_numbers_are_read(tmp_path: Path) -> None:
    """What Excel itself writes: a formula with its cached result, a number as a float."""
    path = tmp_path / "upload.xlsx"
    _workbook(path)
    _patch_sheet(
        path,
        [
            (r"<f>1\+2</f>\s*(?:<v\s*/>|<v></v>)", "<f>1+2</f><v>3</v>"),
            (r'(<c r="B2"[^>]*>)<v>254712345678</v>', r"\1<v>2.54712345678E+11</v>"),
        ],
    )
    header, first, _ = read_rows(path, sniff(path))
    assert header == XLSX_HEADER
    assert first[1] == 254712345678.0 and isinstance(first[1], float)
    assert first[6] == 3
    assert [cell_text(c) for c in first] == [
        "Amina",
        "254712345678",
        "254712345679",
        "1990-05-17T00:00:00",
        "2021-03-09T10:00:00",
        "7.5",
        "3",
    ]


def test_xlsx_rows_read_into_contacts(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    _workbook(path)
    header, *rows = read_rows(path, sniff(path))
    mapping = detect_mapping([cell_text(h) for h in header])
    assert mapping.as_dict() == {
        "Name": "name",
        "Phone": "phone",
        "WhatsApp": "secondary_phone",
        "Date of Birth": "field:date_of_birth",
        "opt_in": "opt_in",
        "Score": "field:score",
        "Total": "field:total",
    }
    amina, bob = (read_row(cells, mapping, n) for n, cells in enumerate(rows, start=2))
    assert isinstance(amina, ImportedRow) and isinstance(bob, ImportedRow)
    assert amina.phone == "254712345678"
    assert amina.attributes == {"name": "Amina", "secondary_phone": "+254712345679"}
    assert amina.fields == {"date_of_birth": "1990-05-17T00:00:00", "score": "7.5"}
    assert amina.opt_in is True
    assert bob.phone == "250788383383"
    assert bob.attributes == {"name": "Bob"}
    assert bob.fields == {"score": "3", "total": "4"}
    assert bob.opt_in is False


# ---------------------------------------------------------------------------------------------
# Header detection and explicit mappings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "detected"),
    [
        pytest.param(
            [
                "name",
                "phone",
                "secondary_phone",
                "email",
                "category",
                "language",
                "opt_in",
                "collection",
                "status",
            ],
            {
                "name": "name",
                "phone": "phone",
                "secondary_phone": "secondary_phone",
                "email": "email",
                "category": "category",
                "language": "language",
                "opt_in": "opt_in",
                "collection": "groups",
                "status": "status",
            },
            id="roster-glific",
        ),
        pytest.param(
            ["NAME", "Phone", "E-mail", "OPT IN", "Group", "Status", "Category"],
            {
                "NAME": "name",
                "Phone": "phone",
                "E-mail": "email",
                "OPT IN": "opt_in",
                "Group": "groups",
                "Status": "status",
                "Category": "category",
            },
            id="case-insensitive",
        ),
        pytest.param(
            [" Full Name ", "Phone Number", "Date of Birth", "Âge", "123", "Created At", "  "],
            {
                "Full Name": "name",
                "Phone Number": "phone",
                "Date of Birth": "field:date_of_birth",
                "Âge": "field:age",
                "123": "field:f_123",
                "Created At": "ignore",
                "": "ignore",
            },
            id="other-headers-become-fields",
        ),
        pytest.param(
            [
                "Contact UUID",
                "Name",
                "Language",
                "Created On",
                "URN:Tel",
                "URN:WhatsApp",
                "Field:Age",
                "Field: Home District",
                "Group:Parents",
                "Group: Teachers",
                "Last Seen On",
                "URN:Ext",
            ],
            {
                "Contact UUID": "ignore",
                "Name": "name",
                "Language": "language",
                "Created On": "ignore",
                "URN:Tel": "phone",
                "URN:WhatsApp": "secondary_phone",
                "Field:Age": "field:age",
                "Field: Home District": "field:home_district",
                "Group:Parents": "group:Parents",
                "Group: Teachers": "group:Teachers",
                "Last Seen On": "ignore",
                "URN:Ext": "ignore",
            },
            id="rapidpro",
        ),
        pytest.param(
            ["Contact UUID", "Name", "URN:WhatsApp"],
            {"Contact UUID": "ignore", "Name": "name", "URN:WhatsApp": "phone"},
            id="rapidpro-whatsapp-only",
        ),
        pytest.param(
            ["msisdn", "WhatsApp"],
            {"msisdn": "phone", "WhatsApp": "secondary_phone"},
            id="whatsapp-next-to-msisdn",
        ),
        pytest.param(
            ["Phone", "Collection", "Groups", "Group:VIP", "Group:Staff"],
            {
                "Phone": "phone",
                "Collection": "groups",
                "Groups": "groups",
                "Group:VIP": "group:VIP",
                "Group:Staff": "group:Staff",
            },
            id="several-group-columns-are-fine",
        ),
    ],
)
def test_headers_are_detected(headers: list[str], detected: dict[str, str]) -> None:
    assert detect_mapping(headers).as_dict() == detected


@pytest.mark.parametrize(
    ("headers", "whatsapp"),
    [
        (["URN:Tel", "URN:WhatsApp"], {"URN:Tel": False, "URN:WhatsApp": True}),
        (["Name", "URN:WhatsApp"], {"Name": False, "URN:WhatsApp": True}),
        (["Phone", "Tel"], None),
    ],
)
def test_only_whatsapp_columns_are_marked(
    headers: list[str], whatsapp: dict[str, bool] | None
) -> None:
    if whatsapp is None:  # two phone columns
        with pytest.raises(InvalidMapping):
            detect_mapping(headers)
        return
    assert {c.header: c.whatsapp for c in detect_mapping(headers).columns} == whatsapp


@pytest.mark.parametrize(
    ("headers", "explicit", "mapped"),
    [
        (
            ["Mobile", "Name"],
            {"Mobile": "phone"},
            {"Mobile": "phone", "Name": "name"},
        ),
        (
            ["Cell", "Notes", "Name"],
            {"cell": "PHONE", " NOTES ": "ignore"},
            {"Cell": "phone", "Notes": "ignore", "Name": "name"},
        ),
        (
            ["Phone", "x", "VIP", "Notes", "Cell"],
            {"x": "field:custom", "VIP": "group:VIP", "Notes": "ignore", "Cell": "field"},
            {
                "Phone": "phone",
                "x": "field:custom",
                "VIP": "group:VIP",
                "Notes": "ignore",
                "Cell": "field:cell",
            },
        ),
        (
            ["Phone", "Mobile"],
            {"Phone": "secondary_phone"},
            {"Phone": "secondary_phone", "Mobile": "phone"},
        ),
        (
            ["Phone", "Kundi"],
            {"Kundi": "groups", "Phone": "phone"},
            {"Phone": "phone", "Kundi": "groups"},
        ),
        (
            ["Phone", "Birthday"],
            {"Birthday": "field:Date of Birth"},
            {"Phone": "phone", "Birthday": "field:date_of_birth"},
        ),
        (
            ["Phone", "Email"],
            {"Email": "field:contact_email"},
            {"Phone": "phone", "Email": "field:contact_email"},
        ),
    ],
)
def test_an_explicit_mapping_overrides_detection(
    headers: list[str], explicit: dict[str, str], mapped: dict[str, str]
) -> None:
    assert detect_mapping(headers, explicit).as_dict() == mapped


@pytest.mark.parametrize(
    ("headers", "explicit", "message"),
    [
        pytest.param(["Phone", "Notes"], {"Notes": "telephone"}, "unknown target", id="unknown"),
        pytest.param(["Phone", "Notes"], {"Notes": "phone:x"}, "unknown target", id="phone-key"),
        pytest.param(["Phone", "VIP"], {"VIP": "group:"}, "unknown target", id="empty-group"),
        pytest.param(["Phone", "Notes"], {"Notes": "field:name"}, "field key", id="reserved"),
        pytest.param(["Phone", "Notes"], {"Notes": "field:!!"}, "field key", id="no-key"),
        pytest.param(["Phone", "Name"], {"Mobile": "phone"}, "lacks", id="absent-header"),
        pytest.param(["Name", "Email"], None, "no phone column", id="no-phone"),
        pytest.param(["Name", "Notes"], {"Notes": "ignore"}, "no phone column", id="no-phone-2"),
        pytest.param(["Phone", "Mobile"], None, "exactly one", id="two-phones"),
        pytest.param(["Phone", "Cell"], {"Cell": "phone"}, "exactly one", id="two-phones-2"),
        pytest.param(["Phone", "Age", "AGE "], None, "field 'age'", id="same-field"),
        pytest.param(["Phone", "Field:Age", "Age"], None, "field 'age'", id="same-field-2"),
        pytest.param(["Phone", "Age", "x"], {"x": "field:age"}, "field 'age'", id="same-field-3"),
        pytest.param(["Phone", "Name", "Full Name"], None, "'name'", id="two-names"),
        pytest.param(["Phone", "opt_in", "optin"], None, "'opt_in'", id="two-opt-ins"),
        pytest.param(["Phone", "Status", "x"], {"x": "status"}, "'status'", id="two-statuses"),
    ],
)
def test_impossible_mappings_are_refused(
    headers: list[str], explicit: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(InvalidMapping) as refused:
        detect_mapping(headers, explicit)
    assert refused.value.code == "invalid_mapping"
    assert message in refused.value.message


def test_a_refused_mapping_shows_the_columns_and_what_each_was_taken_for() -> None:
    """So that a wizard can let the phone column be picked by hand."""
    with pytest.raises(InvalidMapping) as refused:
        detect_mapping(["Full name", "Cell"])
    assert refused.value.details["columns"] == ["Full name", "Cell"]
    assert refused.value.details["detected"] == {"Full name": "name", "Cell": "field:cell"}


def test_the_refusals_say_what_to_fix() -> None:
    with pytest.raises(InvalidMapping) as unknown:
        detect_mapping(["Phone", "Notes"], {"Notes": "telephone"})
    assert unknown.value.details["header"] == "Notes"
    assert "field:<key>" in unknown.value.details["allowed"]
    with pytest.raises(InvalidMapping) as phones:
        detect_mapping(["Phone", "Mobile"])
    assert phones.value.details["phone_columns"] == ["Phone", "Mobile"]


def test_whatsapp_is_the_secondary_phone_when_another_column_is_mapped_as_phone() -> None:
    """An explicit phone column is a phone column as much as a detected one: the WhatsApp
    column next to it is the secondary phone, as it is next to `Mobile`."""
    assert detect_mapping(["Mobile", "WhatsApp"]).as_dict()["WhatsApp"] == "secondary_phone"
    mapping = detect_mapping(["Cell", "WhatsApp"], {"Cell": "phone"})
    assert mapping.as_dict() == {"Cell": "phone", "WhatsApp": "secondary_phone"}


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------

ROSTER = detect_mapping(
    [
        "Name", "Phone", "Email", "Language", "Collection", "opt_in", "Status",
        "Group:Parents", "Date of Birth",
    ]
)  # fmt: skip


def _row(**cells: str) -> list[object]:
    """A ROSTER row, blank but for the given cells (by header, spaces as underscores)."""
    return [cells.get(c.header.replace(" ", "_").replace(":", "_"), "") for c in ROSTER.columns]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        pytest.param(
            _row(Phone="+254712345678"),
            {"phone": "+254712345678", "columns": {"phone": "Phone"}},
            id="blank-cells-are-absent",
        ),
        pytest.param(
            _row(Name="--", Email="--", Phone="+254712345678", Date_of_Birth="--"),
            {
                "attributes": {"name": None, "email": None},
                "fields": {"date_of_birth": None},
                "columns": {
                    "name": "Name",
                    "phone": "Phone",
                    "email": "Email",
                    "fields.date_of_birth": "Date of Birth",
                },
            },
            id="double-dash-clears",
        ),
        pytest.param(
            _row(
                Name="\u200bAmina\u00a0Njeri ",
                Phone="'+254712345678",
                Email="amina@example.org",
                Language="swa",
                Date_of_Birth="1990-05-17",
            ),
            {
                "attributes": {
                    "name": "Amina Njeri",
                    "email": "amina@example.org",
                    "language": "swa",
                },
                "fields": {"date_of_birth": "1990-05-17"},
                "phone": "+254712345678",
            },
            id="cleaned-attributes-and-fields",
        ),
        pytest.param(
            _row(Phone="+254712345678", Collection="A, B, A"),
            {"groups": ["A", "B"]},
            id="collection-split-once",
        ),
        pytest.param(
            _row(Phone="+254712345678", Collection="Parents, A", Group_Parents="yes"),
            {"groups": ["Parents", "A"]},
            id="group-flag-and-collection-deduplicated",
        ),
        pytest.param(
            _row(Phone="+254712345678", Group_Parents="false"),
            {"groups": []},
            id="group-flag-false",
        ),
        pytest.param(
            _row(Phone="+254712345678", Group_Parents="--", Collection="--", opt_in="--"),
            {"groups": [], "opt_in": None},
            id="flags-and-groups-are-not-cleared",
        ),
        pytest.param(_row(Phone="+254712345678", opt_in="yes"), {"opt_in": True}, id="opt-in-yes"),
        pytest.param(
            _row(Phone="+254712345678", opt_in="2021-03-09"), {"opt_in": True}, id="opt-in-date"
        ),
        pytest.param(_row(Phone="+254712345678", opt_in="no"), {"opt_in": False}, id="opt-in-no"),
        pytest.param(_row(Phone="+254712345678"), {"opt_in": None}, id="opt-in-blank"),
        pytest.param(
            _row(Phone="+254712345678", Status="Blocked"),
            {"status": "blocked", "columns": {"phone": "Phone", "status": "Status"}},
            id="status-lower-cased",
        ),
        pytest.param(
            _row(Phone="2.54712345678E+11"), {"phone": "254712345678"}, id="scientific-phone"
        ),
        pytest.param(_row(Phone="254712345678.0"), {"phone": "254712345678"}, id="float-phone"),
        pytest.param(
            _row(Phone="tel:+254712345678"), {"phone": "+254712345678"}, id="tel-urn-stripped"
        ),
        pytest.param(
            [*_row(Phone="+254712345678"), "", " ", None, "\u200b"],
            {"phone": "+254712345678"},
            id="blank-extra-cells-are-fine",
        ),
        pytest.param(["Amina", "+254712345678"], {"attributes": {"name": "Amina"}}, id="short-row"),
    ],
)
def test_rows_are_read(cells: list[object], expected: dict[str, object]) -> None:
    row = read_row(cells, ROSTER, 7)
    assert isinstance(row, ImportedRow), row
    assert row.row == 7
    for key, value in expected.items():
        assert getattr(row, key) == value, key


def test_a_float_phone_cell_reads_as_digits() -> None:
    cells: list[object] = ["Amina", 254712345678.0]
    row = read_row(cells, ROSTER, 2)
    assert isinstance(row, ImportedRow)
    assert row.phone == "254712345678"


@pytest.mark.parametrize(
    ("cells", "failure"),
    [
        pytest.param(
            _row(Name="Amina"),
            RowFailure(3, "Phone", None, "missing_phone", "the row has no phone number"),
            id="blank-phone",
        ),
        pytest.param(
            _row(Name="Amina", Phone="--"),
            RowFailure(3, "Phone", None, "missing_phone", "the row has no phone number"),
            id="cleared-phone",
        ),
        pytest.param(
            _row(Name="Amina", Phone="\u200b\u00a0"),
            RowFailure(3, "Phone", None, "missing_phone", "the row has no phone number"),
            id="invisible-phone",
        ),
        pytest.param(
            _row(Phone="+254712345678", Group_Parents="maybe"),
            RowFailure(
                3,
                "Group:Parents",
                "maybe",
                "invalid_value",
                "Group:Parents must be yes/no or true/false",
            ),
            id="group-flag-not-yes-no",
        ),
        pytest.param(
            _row(Phone="+254712345678", opt_in="sometimes"),
            RowFailure(
                3, "opt_in", "sometimes", "invalid_value", "opt_in must be yes/no or true/false"
            ),
            id="opt-in-not-yes-no",
        ),
        pytest.param(
            [*_row(Phone="+254712345678"), "", "surprise"],
            RowFailure(
                3,
                None,
                None,
                "extra_cells",
                "the row has more cells than the header has columns",
            ),
            id="extra-cells",
        ),
    ],
)
def test_rows_that_fail(cells: list[object], failure: RowFailure) -> None:
    result = read_row(cells, ROSTER, 3)
    assert result == failure
    assert isinstance(result, RowFailure)
    outcome = result.outcome()
    assert (outcome.row, outcome.outcome, outcome.code) == (3, "failed", failure.code)


RAPIDPRO_CSV = (
    "Contact UUID,Name,Language,Created On,URN:Tel,URN:WhatsApp,Field:Age,Group:Parents\n"
    "6b6e-1,Amina,swa,2024-01-01 10:00:00,tel:+254712345678,254712345679,31,true\n"
    "6b6e-2,Bob,,2024-01-02 10:00:00,TEL:+255700000000,whatsapp:255700000001,--,false\n"
    "6b6e-3,Chidi,,2024-01-03 10:00:00,+2348012345678,+2348012345679,,\n"
)


def test_a_rapidpro_export_imports_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_text(RAPIDPRO_CSV, encoding="utf-8")
    header, *lines = read_rows(path, sniff(path))
    mapping = detect_mapping([cell_text(h) for h in header])
    amina, bob, chidi = (read_row(c, mapping, n) for n, c in enumerate(lines, start=2))
    assert amina == ImportedRow(
        row=2,
        phone="+254712345678",
        attributes={"name": "Amina", "language": "swa", "secondary_phone": "+254712345679"},
        fields={"age": "31"},
        groups=["Parents"],
        columns={
            "name": "Name",
            "language": "Language",
            "phone": "URN:Tel",
            "secondary_phone": "URN:WhatsApp",
            "fields.age": "Field:Age",
        },
    )
    assert isinstance(bob, ImportedRow) and isinstance(chidi, ImportedRow)
    assert (bob.phone, bob.attributes["secondary_phone"]) == ("+255700000000", "+255700000001")
    assert bob.fields == {"age": None}
    assert bob.groups == []
    assert (chidi.phone, chidi.attributes["secondary_phone"]) == (
        "+2348012345678",
        "+2348012345679",
    )
    assert chidi.fields == {}


@pytest.mark.parametrize(
    ("headers", "explicit", "cell", "phone"),
    [
        (["URN:WhatsApp"], None, "254712345678", "+254712345678"),
        (["URN:WhatsApp"], None, "2.54712345678E+11", "+254712345678"),
        (["URN:WhatsApp"], None, "whatsapp:254712345678", "+254712345678"),
        (["URN:WhatsApp"], None, "+254712345678", "+254712345678"),
        (["WhatsApp"], {"WhatsApp": "phone"}, "254712345678", "+254712345678"),
        (["Phone"], None, "254712345678", "254712345678"),  # a national number may lack "+"
    ],
)
def test_whatsapp_digits_are_international(
    headers: list[str], explicit: dict[str, str] | None, cell: str, phone: str
) -> None:
    row = read_row([cell], detect_mapping(headers, explicit), 2)
    assert isinstance(row, ImportedRow)
    assert row.phone == phone


def test_an_explicitly_mapped_row(tmp_path: Path) -> None:
    mapping = detect_mapping(
        ["Mobile", "Notes", "x", "VIP"],
        {"Mobile": "phone", "Notes": "ignore", "x": "field:custom", "VIP": "group:VIP"},
    )
    row = read_row(["0712345678", "call after 5", "blue", "Y"], mapping, 2)
    assert row == ImportedRow(
        row=2,
        phone="0712345678",
        fields={"custom": "blue"},
        groups=["VIP"],
        columns={"phone": "Mobile", "fields.custom": "x"},
    )


@pytest.mark.parametrize(
    ("cells", "blank"),
    [
        ([], True),
        (["", "", ""], True),
        ([None, None], True),
        ([" ", "\u200b", "\u00a0", "\ufeff"], True),
        (["", "--"], False),
        ([0], False),
        ([False], False),
        (["", "", "x"], False),
    ],
)
def test_blank_rows(cells: list[object], blank: bool) -> None:
    assert is_blank(cells) is blank


def test_mapping_columns_keep_their_position() -> None:
    mapping = detect_mapping(["Contact UUID", "Name", "URN:Tel"])
    assert isinstance(mapping, ColumnMapping)
    assert [(c.index, c.header, c.target) for c in mapping.columns] == [
        (0, "Contact UUID", "ignore"),
        (1, "Name", "name"),
        (2, "URN:Tel", "phone"),
    ]
    assert [c.header for c in mapping.of("phone")] == ["URN:Tel"]


# ---------------------------------------------------------------------------------------------
# New fields' types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["31", "42.5", "-3", "1,250.5", "1e3"], "number"),
        (["31", "", "--", "7"], "number"),
        (["2024-01-31", "31/01/2024", "2021-03-09T10:00:00", "1990-05-17T00:00:00"], "datetime"),
        (["2024-01-31", "", "--"], "datetime"),
        (["31", "2024-01-31"], "text"),
        (["31", "thirty"], "text"),
        (["Nairobi", "Kisumu"], "text"),
        (["yes", "no"], "text"),
        ([], "text"),
        (["", "--", ""], "text"),
    ],
)
def test_guess_type(values: list[str], kind: str) -> None:
    assert guess_type(values) == kind


def test_a_whatsapp_only_rapidpro_contact_gets_that_number_as_phone() -> None:
    mapping = detect_mapping(["Name", "URN:Tel", "URN:WhatsApp"])
    row = read_row(["Amina", "", "254712345678"], mapping, 2)
    assert isinstance(row, ImportedRow)
    assert row.phone == "+254712345678"
    assert "secondary_phone" not in row.attributes
    assert row.columns["phone"] == "URN:WhatsApp"
