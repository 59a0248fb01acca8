"""Turns raw contact input into validated attributes, reporting the first problem per entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.contacts.domain.commands import ContactInput
from services.contacts.domain.errors import UnknownField
from services.contacts.domain.fields import coerce_value
from services.contacts.domain.organization import Organization
from services.contacts.domain.values import (
    MAX_CATEGORY,
    MAX_NAME,
    clean_email,
    clean_language,
    clean_text,
)
from shared.contactql.values import FieldType, FieldValue
from shared.phone import InvalidPhone, normalize_phone


def phone_of(raw: str, country: str | None, field: str) -> str:
    """The number in E.164; a refusal names the attribute it is about (`phone` or
    `secondary_phone`), so a form can show it beside the right box."""
    try:
        return normalize_phone(raw, country)
    except InvalidPhone as exc:
        exc.details.setdefault("field", field)
        raise


def validated_attributes(
    data: ContactInput, org: Organization, fields: Mapping[str, FieldType]
) -> dict[str, Any]:
    """Only the attributes present in the input; `phone` stays out (it is required separately).
    Custom values are read by their field's type; `fields` maps each defined key to it."""
    present = data.present
    attrs: dict[str, Any] = {}
    if "name" in present:
        attrs["name"] = clean_text(data.name, field="name", max_length=MAX_NAME)
    if "secondary_phone" in present:
        attrs["secondary_phone"] = (
            phone_of(data.secondary_phone, org.default_country, "secondary_phone")
            if data.secondary_phone
            else None
        )
    if "email" in present:
        attrs["email"] = clean_email(data.email)
    if "category" in present:
        attrs["category"] = clean_text(data.category, field="category", max_length=MAX_CATEGORY)
    if "language" in present:
        attrs["language"] = clean_language(data.language)
    if "fields" in present:
        attrs["fields"] = field_values(data.fields or {}, org, fields)
    return attrs


def field_values(
    raw: Mapping[str, Any], org: Organization, fields: Mapping[str, FieldType]
) -> dict[str, FieldValue | None]:
    """Each value read as its field's type; None or empty text clears the value."""
    unknown = sorted(key for key in raw if key not in fields)
    if unknown:
        raise UnknownField(
            f"no field {unknown[0]!r} is defined (create it under /v1/fields first)",
            field=unknown[0],
            unknown=unknown,
        )
    return {key: coerce_value(key, value, fields[key], org.timezone) for key, value in raw.items()}
