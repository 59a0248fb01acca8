"""Language cells as other tools write them: Glific's names ("English", "Hindi") and two-letter
ISO 639-1 codes become the ISO 639-3 codes Roster stores; anything else is passed on as it is
(and refused by the contacts service if it is not a code)."""

from __future__ import annotations

_BY_NAME = {
    "english": "eng", "hindi": "hin", "swahili": "swa", "kiswahili": "swa", "french": "fra",
    "spanish": "spa", "portuguese": "por", "arabic": "ara", "marathi": "mar", "tamil": "tam",
    "telugu": "tel", "kannada": "kan", "bengali": "ben", "gujarati": "guj", "punjabi": "pan",
    "urdu": "urd", "odia": "ori", "oriya": "ori", "assamese": "asm", "malayalam": "mal",
    "amharic": "amh", "hausa": "hau", "yoruba": "yor", "igbo": "ibo", "zulu": "zul",
    "xhosa": "xho", "somali": "som", "german": "deu", "italian": "ita", "indonesian": "ind",
}  # fmt: skip
_BY_TWO_LETTERS = {
    "en": "eng", "hi": "hin", "sw": "swa", "fr": "fra", "es": "spa", "pt": "por", "ar": "ara",
    "mr": "mar", "ta": "tam", "te": "tel", "kn": "kan", "bn": "ben", "gu": "guj", "pa": "pan",
    "ur": "urd", "or": "ori", "as": "asm", "ml": "mal", "am": "amh", "ha": "hau", "yo": "yor",
    "ig": "ibo", "zu": "zul", "xh": "xho", "so": "som", "de": "deu", "it": "ita", "id": "ind",
}  # fmt: skip


def language_code(text: str) -> str:
    key = text.strip().lower()
    return _BY_NAME.get(key) or _BY_TWO_LETTERS.get(key) or text.strip()
