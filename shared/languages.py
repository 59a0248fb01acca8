"""Languages as people write them, read into the ISO 639-3 codes Roster stores.

Codes first (ISO 639-1 `sw`, ISO 639-3 `swh`, ISO 639-2/B `fre`, BCP 47 tags such as `pt-BR`
or `en_US`), then names in English or in the language itself (`French`, `Français`,
`Kiswahili`, `हिन्दी`), with and without accents; by langcodes and its language-data. A valid
three-letter code stays as it is (`swh` is not turned into its macrolanguage `swa`); a
two-letter or deprecated one becomes its ISO 639-3 code (`sw` → `swa`, `iw` → `heb`).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from langcodes import Language, LanguageTagError, find

MAX_TEXT = 64  # longer than any language name


@lru_cache(maxsize=4096)
def iso639_3(text: str) -> str | None:
    """The ISO 639-3 code of a language code or name; None when it names no language."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_TEXT or not candidate.isprintable():
        return None  # no language's name holds a control character (langcodes chokes on NUL)
    language = _by_code(candidate) or _by_name(candidate) or _by_name(_unaccented(candidate))
    if language is None or language.language is None:
        return None
    try:
        code: str = language.to_alpha3()
    except LookupError:
        return None
    return code


def _by_code(text: str) -> Language | None:
    try:
        language = Language.get(text)
    except (LanguageTagError, ValueError):  # UnicodeError is a ValueError
        return None
    return language if language.is_valid() else None


def _by_name(text: str) -> Language | None:
    try:
        return find(text)
    except (LookupError, ValueError):
        return None


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1024)
def shortest_tag(code: str) -> str:
    """The shortest tag of an ISO 639-3 code (`eng` → `en`, `swa` → `sw`, `haw` stays), as
    providers such as WhatsApp name a template's language."""
    try:
        return str(Language.get(code).language or code)
    except (LanguageTagError, ValueError):
        return code
