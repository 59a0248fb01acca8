"""Languages as people write them, read into ISO 639-3 the same way by the importer (a row
whose language cannot be read fails, naming its column) and the contacts API (refused)."""

from __future__ import annotations

import pytest

from services.contacts.domain.errors import InvalidValue
from services.contacts.domain.values import clean_language
from services.importer.domain.mapping import detect_mapping
from services.importer.domain.rows import RowFailure, read_row
from shared.contracts.imports import ImportedRow
from shared.languages import iso639_3

READABLE = [
    # English names, any case, with spaces around
    ("English", "eng"),
    ("english", "eng"),
    (" HINDI ", "hin"),
    ("Swahili", "swa"),
    ("French", "fra"),
    ("Oriya", "ori"),
    ("Odia", "ori"),
    ("Nigerian Pidgin", "pcm"),
    ("Portuguese (Brazil)", "por"),
    # names in the language itself, with or without their accents
    ("Français", "fra"),
    ("francais", "fra"),
    ("Kiswahili", "swa"),
    ("Español", "spa"),
    ("Português", "por"),
    ("हिन्दी", "hin"),
    ("தமிழ்", "tam"),
    ("العربية", "ara"),
    ("isiZulu", "zul"),
    ("Yorùbá", "yor"),
    # ISO 639-1, ISO 639-3 (kept as given, not turned into a macrolanguage), 639-2/B
    ("en", "eng"),
    ("SW", "swa"),
    ("eng", "eng"),
    ("ENG", "eng"),
    ("swh", "swh"),
    ("arb", "arb"),
    ("fre", "fra"),
    ("ger", "deu"),
    ("iw", "heb"),
    # BCP 47 tags
    ("pt-BR", "por"),
    ("en_US", "eng"),
    ("zh-Hant", "zho"),
    ("sr-Latn-RS", "srp"),
]

UNREADABLE = [
    "xyz",
    "Blorgish",
    "Englsh",
    "zz",
    "e1",
    "und",
    "x-foo",
    "1",
    "--",
    "N/A",
    "unknown",
    "",
    "   ",
    "a" * 65,
]


@pytest.mark.parametrize(("text", "code"), READABLE)
def test_languages_are_read_into_iso_639_3(text: str, code: str) -> None:
    assert iso639_3(text) == code


@pytest.mark.parametrize("text", UNREADABLE)
def test_what_names_no_language_is_not_read(text: str) -> None:
    assert iso639_3(text) is None


MAPPING = detect_mapping(["Phone", "Lugha"], {"Lugha": "language"})


@pytest.mark.parametrize(("text", "code"), READABLE[:12])
def test_an_imported_language_is_its_code(text: str, code: str) -> None:
    row = read_row(["+254712345678", text], MAPPING, 2)
    assert isinstance(row, ImportedRow)
    assert row.attributes["language"] == code


def test_an_imported_language_that_cannot_be_read_fails_the_row() -> None:
    """Never stored as free text: the row fails, naming the column and the value."""
    row = read_row(["+254712345678", "Blorgish"], MAPPING, 7)
    assert isinstance(row, RowFailure)
    assert (row.row, row.column, row.value, row.code) == (
        7,
        "Lugha",
        "Blorgish",
        "invalid_language",
    )
    assert "Lugha" in row.message


def test_blank_and_cleared_languages_are_left_and_cleared() -> None:
    blank = read_row(["+254712345678", ""], MAPPING, 2)
    cleared = read_row(["+254712345678", "--"], MAPPING, 2)
    assert isinstance(blank, ImportedRow) and isinstance(cleared, ImportedRow)
    assert "language" not in blank.attributes
    assert cleared.attributes == {"language": None}


@pytest.mark.parametrize(("text", "code"), READABLE)
def test_the_contacts_api_accepts_the_same_forms(text: str, code: str) -> None:
    assert clean_language(text) == code


@pytest.mark.parametrize("text", [t for t in UNREADABLE if t.strip()])
def test_the_contacts_api_refuses_what_is_no_language(text: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        clean_language(text)
    assert refused.value.details["field"] == "language"


def test_an_empty_language_is_not_set() -> None:
    assert clean_language(None) is None
    assert clean_language("  ") is None


@pytest.mark.parametrize("text", ["fr\x00", "\x00", "Fran\x07çais"])
def test_text_with_control_characters_names_no_language(text: str) -> None:
    assert iso639_3(text) is None  # and never raises: it comes from files and API bodies
