"""Which column of a file means what.

Headers are recognised case-insensitively: Roster's and Glific's own (`name`, `phone`,
`collection`, ...; any other header is a contact field) and RapidPro/TextIt exports (`URN:Tel`,
`Field:<name>`, `Group:<name>` yes/no columns, ...), so a RapidPro export imports unchanged. An
explicit mapping (header → target) overrides what was detected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.importer.domain.errors import InvalidMapping
from shared.field_keys import is_valid_key, key_from_label

ATTRIBUTES = ("name", "secondary_phone", "email", "category", "language")
PLAIN_TARGETS = ("phone", *ATTRIBUTES, "opt_in", "groups", "status", "ignore")

_ALIASES: dict[str, str] = {
    "name": "name",
    "full name": "name",
    "contact name": "name",
    "phone": "phone",
    "phone number": "phone",
    "mobile": "phone",
    "msisdn": "phone",
    "urn:tel": "phone",
    "tel": "phone",
    "secondary_phone": "secondary_phone",
    "secondary phone": "secondary_phone",
    "email": "email",
    "e-mail": "email",
    "category": "category",
    "language": "language",
    "opt_in": "opt_in",
    "opt in": "opt_in",
    "optin": "opt_in",
    "collection": "groups",
    "collections": "groups",
    "group": "groups",
    "groups": "groups",
    "status": "status",
}
# RapidPro/TextIt and Glific export columns that carry nothing Roster imports.
_IGNORED = {
    "uuid", "contact uuid", "id", "contact id", "created on", "last seen on", "delete",
    "urn:ext", "urn:telegram", "urn:facebook", "urn:twitter", "urn:mailto", "urn:viber",
    "scheme", "urn", "has_session", "last_message_at", "bsp_status", "contact_fields",
}  # fmt: skip
_WHATSAPP = {"urn:whatsapp", "whatsapp"}
_TEL = {alias for alias, target in _ALIASES.items() if target == "phone"}


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    target: str  # a PLAIN_TARGETS name, "field" or "group_flag"
    key: str | None = None  # the field key, or the group name of a yes/no column
    whatsapp: bool = False  # RapidPro WhatsApp URNs are digits without "+"

    @property
    def label(self) -> str:
        """The target as an explicit mapping would name it."""
        if self.target == "group_flag":
            return f"group:{self.key}"
        return self.target if self.key is None else f"{self.target}:{self.key}"


@dataclass(frozen=True)
class ColumnMapping:
    columns: tuple[Column, ...]

    def of(self, target: str) -> list[Column]:
        return [c for c in self.columns if c.target == target]

    @property
    def field_columns(self) -> list[Column]:
        return self.of("field")

    def as_dict(self) -> dict[str, str]:
        return {c.header: c.label for c in self.columns}


def detect_mapping(
    headers: Sequence[str], explicit: Mapping[str, str] | None = None
) -> ColumnMapping:
    explicit = {k.strip().lower(): v for k, v in (explicit or {}).items()}
    columns: list[Column] = []
    has_tel = any(
        explicit[h.strip().lower()] == "phone"
        if h.strip().lower() in explicit
        else h.strip().lower() in _TEL
        for h in headers
    )
    for index, raw in enumerate(headers):
        header = raw.strip()
        lowered = header.lower()
        if lowered in explicit:
            columns.append(_explicit(index, header, explicit[lowered]))
        else:
            columns.append(_detected(index, header, lowered, has_tel))
    mapping = ColumnMapping(tuple(columns))
    _check(mapping, [h.strip().lower() for h in headers], explicit)
    return mapping


def _explicit(index: int, header: str, target: str) -> Column:
    target = target.strip()
    kind, _, key = target.partition(":")
    kind = kind.lower()
    if kind in PLAIN_TARGETS and not key:
        return Column(index, header, kind, whatsapp=header.lower() in _WHATSAPP)
    if kind == "field":
        field_key = key_from_label(key or header)
        if not is_valid_key(field_key):
            raise InvalidMapping(f"{field_key!r} cannot be a field key", header=header)
        return Column(index, header, "field", field_key)
    if kind == "group" and key:
        return Column(index, header, "group_flag", key.strip())
    raise InvalidMapping(
        f"unknown target {target!r} for column {header!r}",
        header=header,
        allowed=[*PLAIN_TARGETS, "field:<key>", "group:<name>"],
    )


def _detected(index: int, header: str, lowered: str, has_tel: bool) -> Column:
    if not lowered or lowered in _IGNORED:
        return Column(index, header, "ignore")
    if lowered in _WHATSAPP:
        return Column(index, header, "secondary_phone" if has_tel else "phone", whatsapp=True)
    if lowered in _ALIASES:
        return Column(index, header, _ALIASES[lowered])
    prefix, _, rest = header.partition(":")
    if rest and prefix.strip().lower() == "field":
        return _field_column(index, header, rest)
    if rest and prefix.strip().lower() == "group":
        return Column(index, header, "group_flag", rest.strip())
    return _field_column(index, header, header)


def _field_column(index: int, header: str, label: str) -> Column:
    key = key_from_label(label)
    if not is_valid_key(key):
        return Column(index, header, "ignore")
    return Column(index, header, "field", key)


def _check(mapping: ColumnMapping, headers: list[str], explicit: Mapping[str, str]) -> None:
    """Every refusal carries the file's columns and what each was taken for (`columns`,
    `detected`), so that a client can show them and let the column be mapped by hand."""

    def refused(message: str, **details: object) -> InvalidMapping:
        columns = [c.header for c in mapping.columns]
        return InvalidMapping(message, columns=columns, detected=mapping.as_dict(), **details)

    unknown = sorted(set(explicit) - set(headers))
    if unknown:
        raise refused(f"the mapping names a column the file lacks: {unknown[0]!r}")
    if len(mapping.of("phone")) != 1:
        found = [c.header for c in mapping.of("phone")]
        raise refused(
            "exactly one column must be the phone (map it explicitly)" if found
            else "no phone column found (name one `phone`, or map it explicitly)",
            phone_columns=found,
        )  # fmt: skip
    keys = [c.key for c in mapping.field_columns]
    repeated = sorted({k for k in keys if keys.count(k) > 1 and k})
    if repeated:
        raise refused(f"two columns map to field {repeated[0]!r}", field=repeated[0])
    for attribute in (*ATTRIBUTES, "opt_in", "status"):
        if len(mapping.of(attribute)) > 1:
            raise refused(f"two columns map to {attribute!r}", target=attribute)
