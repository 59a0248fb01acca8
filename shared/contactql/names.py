"""How names are searched: split into words, accents and case dropped. The query resolver, the
in-memory evaluator and the stored documents (`name_words`) all split names here."""

from __future__ import annotations

import re
import unicodedata

# RapidPro searches names by words of at least 2 bytes in UTF-8: `ab`, `é`, `王` are searched,
# `j` is a whole name.
MIN_NAME_TOKEN = 2
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Casefolded runs of letters and digits, accents dropped (so `ade` finds "Adé" and `ib`
    finds "İbrahim")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c)))


def searchable_words(text: str) -> tuple[str, ...]:
    """The words a name search looks for: the short ones (as written, in bytes) are left out,
    as RapidPro does."""
    written = _WORD.findall(unicodedata.normalize("NFC", text.casefold()))
    return tuple(
        w for token in written if len(token.encode()) >= MIN_NAME_TOKEN for w in words(token)
    )
