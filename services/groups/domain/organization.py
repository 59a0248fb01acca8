"""What the groups service knows of an organisation, to read its queries: timezone, default
country and the custom fields' types (from the contacts service's events)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contactql.values import FieldType


@dataclass(frozen=True)
class OrganizationSettings:
    timezone: str = "UTC"
    default_country: str | None = None
    fields: dict[str, FieldType] = field(default_factory=dict)
