"""`MongoOrganizationCopies` in memory, for the services that keep a copy of organisations
(groups, dispatcher): settings by their sequence, each field by its own; a deleted field is
kept (with its sequence) but no longer typed."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contactql.values import FieldType
from shared.contracts.organization_copy import OrganizationSettings


@dataclass
class _OrganizationRow:
    version: int = 0
    settings: OrganizationSettings = field(default_factory=OrganizationSettings)
    fields: dict[str, tuple[int, FieldType | None]] = field(default_factory=dict)


class FakeOrganizationCopies:
    def __init__(self) -> None:
        self._rows: dict[str, _OrganizationRow] = {}

    async def get(self, org_id: str) -> OrganizationSettings:
        row = self._rows.get(org_id, _OrganizationRow())
        return OrganizationSettings(
            timezone=row.settings.timezone or "UTC",
            default_country=row.settings.default_country,
            default_language=row.settings.default_language,
            fields={k: kind for k, (_, kind) in row.fields.items() if kind is not None},
        )

    async def apply_settings(
        self, org_id: str, sequence: int, settings: OrganizationSettings
    ) -> None:
        row = self._rows.setdefault(org_id, _OrganizationRow())
        if row.version >= sequence:
            return
        row.version, row.settings = sequence, settings

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: FieldType | None
    ) -> None:
        row = self._rows.setdefault(org_id, _OrganizationRow())
        applied, _ = row.fields.get(key, (0, None))
        if applied >= sequence:
            return
        row.fields[key] = (sequence, field_type)
