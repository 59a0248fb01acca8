"""How a custom field's key is written, and the one derived from a label or a file's header:
the contacts service defines fields by it, the importer maps columns to it."""

from __future__ import annotations

import re
import unicodedata

KEY = re.compile(r"[a-z][a-z0-9_]*")
MAX_KEY = 36
# Contact attributes and query words: a field under one of these names would be ambiguous.
RESERVED_KEYS = frozenset(
    {
        "id", "uuid", "name", "phone", "tel", "email", "language", "status", "category",
        "group", "groups", "created_on", "created_at", "updated_on", "updated_at",
        "last_seen_on", "last_seen_at", "has", "is", "and", "or", "not", "fields", "urn",
        "urns", "secondary_phone", "opt_in", "version", "org", "org_id", "deleted",
    }
)  # fmt: skip


def key_from_label(label: str) -> str:
    """'Date of Birth' → 'date_of_birth'; accents dropped, never starting with a digit."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")
    if key and not key[0].isalpha():
        key = "f_" + key
    return key[:MAX_KEY].rstrip("_")


def is_valid_key(key: str) -> bool:
    return (
        bool(key) and len(key) <= MAX_KEY and bool(KEY.fullmatch(key)) and key not in RESERVED_KEYS
    )
