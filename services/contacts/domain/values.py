"""Validation of the plain contact attributes (name, email, language, custom field values)."""

from __future__ import annotations

import re
from typing import Any

from services.contacts.domain.errors import InvalidValue

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[a-z]{3}$")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,35}$")
MAX_NAME = 128
MAX_CATEGORY = 64
MAX_FIELD_VALUE = 640
MAX_FIELDS = 250


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
    text = clean_text(value, field="language", max_length=3)
    if text is None:
        return None
    text = text.lower()
    if not _LANGUAGE.match(text):
        raise InvalidValue("language must be an ISO 639-3 code", field="language", value=value)
    return text


def clean_fields(values: dict[str, Any] | None) -> dict[str, Any]:
    """Custom values are scalars under lowercase keys; typed definitions come with field support."""
    result: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if not FIELD_KEY.match(key):
            raise InvalidValue(f"field key {key!r} is not valid", field=f"fields.{key}")
        if isinstance(value, str):
            value = clean_text(value, field=f"fields.{key}", max_length=MAX_FIELD_VALUE)
        elif value is not None and not isinstance(value, bool | int | float):
            raise InvalidValue("field values must be text, numbers or booleans", field=key)
        result[key] = value
    if len(result) > MAX_FIELDS:
        raise InvalidValue(f"at most {MAX_FIELDS} fields per contact", field="fields")
    return result
