"""Custom contact fields: per-organisation definitions, and values typed by their definition.

A value keeps the text it was given as well as the typed value, so that changing a field's type
can re-read every value, and clients see what was entered.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from services.contacts.domain.errors import (
    InvalidField,
    InvalidFieldValue,
    InvalidValue,
)
from services.contacts.domain.values import MAX_FIELD_VALUE, clean_text
from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted
from shared.contracts.envelope import EventPayload

KEY = re.compile(r"[a-z][a-z0-9_]*")
MAX_KEY = 36
MAX_LABEL = 64
# Contact attributes and query words: a field under one of these names would be ambiguous.
RESERVED_KEYS = frozenset(
    {
        "id", "uuid", "name", "phone", "tel", "email", "language", "status", "category",
        "group", "groups", "created_on", "created_at", "updated_on", "updated_at",
        "last_seen_on", "last_seen_at", "has", "is", "and", "or", "not", "fields", "urn",
        "urns", "secondary_phone", "opt_in", "version", "org", "org_id", "deleted",
    }
)  # fmt: skip


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    STATE = "state"
    DISTRICT = "district"
    WARD = "ward"

    @property
    def is_text(self) -> bool:
        """Location types are plain text with a type tag."""
        return self not in (FieldType.NUMBER, FieldType.DATETIME, FieldType.BOOLEAN)


@dataclass(frozen=True)
class FieldValue:
    """The text as given plus, for typed fields, the value read from it."""

    text: str
    type: FieldType
    number: Decimal | None = None
    datetime: dt.datetime | None = None
    boolean: bool | None = None

    @property
    def value(self) -> str | Decimal | dt.datetime | bool:
        if self.type is FieldType.NUMBER:
            assert self.number is not None
            return self.number
        if self.type is FieldType.DATETIME:
            assert self.datetime is not None
            return self.datetime
        if self.type is FieldType.BOOLEAN:
            assert self.boolean is not None
            return self.boolean
        return self.text

    def record(self) -> dict[str, Any]:
        """JSON form used in events and API responses."""
        value: Any = self.value
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        return {"text": self.text, "type": self.type.value, "value": value}


_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n"}
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", re.ASCII)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", re.ASCII)
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", re.ASCII)
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", re.ASCII)


def parse_number(text: str) -> Decimal | None:
    """Plain decimals (`-12.5`, `1e3`) or thousands in groups of three (`1,250.5`)."""
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Stored as a double for queries (FerretDB has no decimal128): it must fit one.
    return number if number.is_finite() and math.isfinite(float(number)) else None


def parse_day(text: str) -> date | None:
    """ISO dates (2024-01-31) and day-first dates (31-01-2024, 31/01/2024), nothing else."""
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def parse_datetime(text: str, timezone: str) -> datetime | None:
    """ISO 8601 with or without time and offset, or a day-first date; naive means the
    organisation's timezone. Returned in UTC."""
    day = parse_day(text)
    try:
        if day is not None:
            parsed = datetime.combine(day, time())
        elif _ISO_DATETIME.match(text):
            parsed = datetime.fromisoformat(text)
        else:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # not a date, or beyond year 1..9999 once in UTC
        return None
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def parse_boolean(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def coerce_value(key: str, raw: Any, field_type: FieldType, timezone: str) -> FieldValue | None:
    """Reads a raw value as the field's type; None (or empty text) clears the value."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, int | float | Decimal | str):
        try:
            text = clean_text(str(raw), field=f"fields.{key}", max_length=MAX_FIELD_VALUE) or ""
        except InvalidValue as exc:
            raise InvalidFieldValue(exc.message, field=key) from None
    else:
        raise InvalidFieldValue(
            "field values must be text, numbers or booleans", field=key, value=repr(raw)
        )
    if not text:
        return None
    if field_type is FieldType.NUMBER:
        if (number := parse_number(text)) is None:
            raise InvalidFieldValue(f"{key} must be a number", field=key, value=text)
        return FieldValue(text, field_type, number=number)
    if field_type is FieldType.DATETIME:
        if (moment := parse_datetime(text, timezone)) is None:
            raise InvalidFieldValue(f"{key} must be a date or date and time", field=key, value=text)
        return FieldValue(text, field_type, datetime=moment)
    if field_type is FieldType.BOOLEAN:
        if (flag := parse_boolean(text)) is None:
            raise InvalidFieldValue(
                f"{key} must be yes/no, true/false or 1/0", field=key, value=text
            )
        return FieldValue(text, field_type, boolean=flag)
    return FieldValue(text, field_type)


def key_from_label(label: str) -> str:
    """'Date of Birth' → 'date_of_birth'; accents dropped, never starting with a digit."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")
    if key and not key[0].isalpha():
        key = "f_" + key
    return key[:MAX_KEY].rstrip("_")


def key_for(label: str, key: str | None) -> str:
    """The key asked for, or the one derived from the label; checked either way."""
    return check_key(key if key is not None else key_from_label(_clean_label(label)))


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY or not KEY.fullmatch(key):
        raise InvalidField(
            f"a field key is lowercase letters, digits and _, starts with a letter, at most "
            f"{MAX_KEY} characters",
            key=key,
        )
    if key in RESERVED_KEYS:
        raise InvalidField(f"{key!r} is reserved", key=key)
    return key


@dataclass
class FieldDefinition:
    org_id: str
    key: str
    label: str
    type: FieldType
    featured: bool = False
    order: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    deleted: bool = False
    # Contacts' values still have to follow a type change or deletion (done in the background).
    values_pending: bool = False
    last_conversion: dict[str, Any] | None = None
    events: list[EventPayload] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def define(
        cls,
        *,
        org_id: str,
        label: str,
        key: str | None,
        type: FieldType,
        featured: bool,
        order: int,
        now: datetime,
        previous: FieldDefinition | None = None,
    ) -> FieldDefinition:
        """`previous` is a deleted definition under the same key: the new one continues its
        version, so that event sequences of a key never go back."""
        definition = cls(
            org_id=org_id,
            key=key_for(label, key),
            label=_clean_label(label),
            type=type,
            featured=featured,
            order=order,
            created_at=now,
            updated_at=now,
            version=previous.version + 1 if previous is not None else 1,
        )
        definition.events.append(FieldDefined(**definition._record()))
        return definition

    def change(self, changes: dict[str, Any], now: datetime) -> list[str]:
        """Applies label/type/featured/order; returns what really changed."""
        if "label" in changes:
            changes = {**changes, "label": _clean_label(changes["label"])}
        changed = [k for k, v in changes.items() if getattr(self, k) != v]
        if not changed:
            return []
        previous_type = self.type
        for key in changed:
            setattr(self, key, changes[key])
        if "type" in changed:
            self.values_pending = True
        self.version += 1
        self.updated_at = now
        self.events.append(
            FieldChanged(**self._record(), changed=changed, previous_type=previous_type.value)
        )
        return changed

    def delete(self, now: datetime) -> None:
        self.deleted = True
        self.values_pending = True
        self.version += 1
        self.updated_at = now
        self.events.append(FieldDeleted(key=self.key, deleted_at=now))

    def _record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "type": self.type.value,
            "featured": self.featured,
            "order": self.order,
            "updated_at": self.updated_at,
        }


def _clean_label(label: str) -> str:
    text = clean_text(label, field="label", max_length=MAX_LABEL)
    if not text:
        raise InvalidValue("a field needs a label", field="label")
    return text


def field_type(value: str) -> FieldType:
    try:
        return FieldType(value)
    except ValueError:
        raise InvalidField(
            f"unknown field type {value!r}", type=value, allowed=[t.value for t in FieldType]
        ) from None


@dataclass
class ConversionReport:
    """What following a type change did to the contacts' values."""

    to_type: FieldType | None
    converted: int = 0
    cleared: int = 0
    cleared_contacts: list[str] = field(default_factory=list)

    MAX_LISTED = 1000

    def record_cleared(self, contact_id: str) -> None:
        self.cleared += 1
        if len(self.cleared_contacts) < self.MAX_LISTED:
            self.cleared_contacts.append(contact_id)

    def as_dict(self, finished_at: datetime) -> dict[str, Any]:
        return {
            "to_type": self.to_type.value if self.to_type else None,
            "converted": self.converted,
            "cleared": self.cleared,
            "cleared_contacts": self.cleared_contacts,
            "finished_at": finished_at,
        }
