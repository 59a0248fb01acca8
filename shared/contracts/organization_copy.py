"""A consumer's copy of an organisation, folded from `OrganizationUpdated` (on
`roster.organizations`) and the custom fields' events (on `roster.contacts`).

The groups, dispatcher and flows services each keep one (each service owns its data): what
their contactql queries are read against (time zone, default country, the fields' types), and the
dispatcher's quiet hours (time zone) and templates (default language). The settings and each
field carry the sequence of the event they came from, so a repeated or late event changes
nothing. `follow_organization` is the one reading of those events they share, registered on each
service's bus by `ORGANIZATION_EVENT_HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from shared.contactql.resolve import QueryContext
from shared.contactql.values import FieldType
from shared.contracts.contacts import FieldChanged, FieldDefined, FieldDeleted
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import Received, Registration

FieldEvent = FieldDefined | FieldChanged | FieldDeleted


@dataclass(frozen=True)
class OrganizationSettings:
    timezone: str = "UTC"
    default_country: str | None = None
    default_language: str | None = None
    fields: Mapping[str, FieldType] = field(default_factory=dict)

    def query_context(self, groups: Mapping[str, str]) -> QueryContext:
        """What the organisation's contactql queries are read against; `groups` maps group
        names (casefolded) and ids to ids."""
        return QueryContext(
            timezone=self.timezone,
            default_country=self.default_country,
            fields=self.fields,
            groups=groups,
        )


class OrganizationCopies(Protocol):
    async def get(self, org_id: str) -> OrganizationSettings:
        """The organisation's settings (defaults until its first event)."""
        ...

    async def apply_settings(
        self, org_id: str, sequence: int, settings: OrganizationSettings
    ) -> None:
        """Time zone, country and language, unless a newer event was applied; fields apart."""
        ...

    async def apply_field(
        self, org_id: str, key: str, sequence: int, field_type: FieldType | None
    ) -> None:
        """`field_type` None: the field was deleted. Unless a newer event of it was applied."""
        ...


async def follow_organization(
    copies: OrganizationCopies, event: Received[OrganizationUpdated] | Received[FieldEvent]
) -> None:
    payload = event.payload
    if isinstance(payload, OrganizationUpdated):
        settings = OrganizationSettings(
            timezone=payload.timezone,
            default_country=payload.default_country,
            default_language=payload.default_language,
        )
        await copies.apply_settings(event.org_id, event.ordered_sequence, settings)
        return
    kind = None if isinstance(payload, FieldDeleted) else FieldType(payload.type)
    await copies.apply_field(event.org_id, payload.key, event.ordered_sequence, kind)


class KeepsOrganizations(Protocol):
    """A unit of work holding the service's copy of organisations."""

    @property
    def organizations(self) -> OrganizationCopies: ...


async def apply_organization_event(
    event: Received[OrganizationUpdated] | Received[FieldEvent], uow: KeepsOrganizations
) -> None:
    await follow_organization(uow.organizations, event)


ORGANIZATION_EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {
    OrganizationUpdated: [apply_organization_event],
    FieldDefined: [apply_organization_event],
    FieldChanged: [apply_organization_event],
    FieldDeleted: [apply_organization_event],
}
