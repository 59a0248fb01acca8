"""How names are searched: split into words, accents and case dropped. The query resolver, the
in-memory evaluator and the stored documents (`name_words`) all split names here."""

from __future__ import annotations

import re
import unicodedata

# RapidPro searches names by words of at least 2 characters.
MIN_NAME_TOKEN = 2
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Casefolded runs of letters and digits, accents dropped (so `ade` finds "Adé" and `ib`
    finds "İbrahim")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c)))


def searchable_words(text: str) -> tuple[str, ...]:
    """The words a name search looks for: the short ones are left out, as RapidPro does."""
    return tuple(w for w in words(text) if len(w) >= MIN_NAME_TOKEN)
