"""Validation of the plain contact attributes (name, email, language)."""

from __future__ import annotations

import re

from services.contacts.domain.errors import InvalidValue
from shared.languages import MAX_TEXT as MAX_LANGUAGE
from shared.languages import iso639_3

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 128
MAX_CATEGORY = 64
MAX_FIELD_VALUE = 640


def clean_text(value: str | None, *, field: str, max_length: int) -> str | None:
    """Strips invisible characters and outer spaces; an empty result means "not set"."""
    if value is None:
        return None
    text = _INVISIBLE.sub("", value).strip()
    if len(text) > max_length:
        raise InvalidValue(f"{field} is longer than {max_length} characters", field=field)
    return text or None


def clean_email(value: str | None) -> str | None:
    text = clean_text(value, field="email", max_length=254)
    if text is None:
        return None
    if not _EMAIL.match(text):
        raise InvalidValue("email address is not valid", field="email", value=value)
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_language(value: str | None) -> str | None:
    """The ISO 639-3 code of a language code or name (`swa`, `sw`, `pt-BR`, `Kiswahili`)."""
    text = clean_text(value, field="language", max_length=MAX_LANGUAGE)
    if text is None:
        return None
    code = iso639_3(text)
    if code is None:
        raise InvalidValue(
            "language must be an ISO 639 code or a language name", field="language", value=value
        )
    return code
