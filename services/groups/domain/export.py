"""What an export of a group's members contains: one row per member, fields as columns, and
every cell safe to open in a spreadsheet (no formula injection)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.groups.domain.member import MemberContact
from shared.http.spreadsheets import neutralize

STANDARD_COLUMNS = ("id", "name", "phone", "email", "language", "status", "groups")


def header(field_keys: Sequence[str]) -> list[str]:
    return [*STANDARD_COLUMNS, *field_keys]


def row(
    contact: MemberContact, field_keys: Sequence[str], group_names: Mapping[str, str]
) -> list[str]:
    """`group_names`: the groups the reader may see, by id; others are not listed."""
    names = sorted((group_names[g] for g in contact.groups if g in group_names), key=str.casefold)
    values = [
        contact.id,
        contact.name or "",
        contact.phone or "",
        contact.email or "",
        contact.language or "",
        contact.status,
        ", ".join(names),
        *(contact.fields[k].text if k in contact.fields else "" for k in field_keys),
    ]
    return [neutralize(v) for v in values]
