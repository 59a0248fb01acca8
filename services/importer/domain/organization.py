"""What the importer knows of an organisation (from the contacts service's events): its default
country and its fields' types, for previews and for telling which of a file's columns are new
fields. The contacts service still decides."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrgView:
    default_country: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # key → type
