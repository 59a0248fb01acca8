"""Custom contact fields: per-organisation definitions, and values typed by their definition.

A value keeps the text it was given as well as the typed value, so that changing a field's type
can re-read every value, and clients see what was entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.contacts.domain.errors import InvalidField, InvalidFieldValue, InvalidValue
from services.contacts.domain.values import MAX_FIELD_VALUE, clean_text
from shared.contactql.values import (
    FieldType,
    FieldValue,
    parse_boolean,
    parse_datetime,
    parse_number,
)
from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted
from shared.contracts.envelope import EventPayload
from shared.field_keys import KEY, MAX_KEY, RESERVED_KEYS, key_from_label

MAX_LABEL = 64


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
