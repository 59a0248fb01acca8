"""Turns raw contact input into validated attributes, reporting the first problem per entry."""

from __future__ import annotations

from typing import Any

from services.contacts.domain.commands import ContactInput
from services.contacts.domain.organization import Organization
from services.contacts.domain.phone import normalize_phone
from services.contacts.domain.values import (
    MAX_CATEGORY,
    MAX_NAME,
    clean_email,
    clean_fields,
    clean_language,
    clean_text,
)


def validated_attributes(data: ContactInput, org: Organization) -> dict[str, Any]:
    """Only the attributes present in the input; `phone` stays out (it is required separately)."""
    present = data.present
    attrs: dict[str, Any] = {}
    if "name" in present:
        attrs["name"] = clean_text(data.name, field="name", max_length=MAX_NAME)
    if "secondary_phone" in present:
        attrs["secondary_phone"] = (
            normalize_phone(data.secondary_phone, org.default_country)
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
        attrs["fields"] = clean_fields(data.fields)
    return attrs
