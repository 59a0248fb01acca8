"""The dispatcher's copy of organisations' settings, kept from their events. Its audience copy
(contacts, groups, memberships) is kept by the handlers it shares with the flows service
(`shared.contracts.audience_copy`)."""

from __future__ import annotations

from services.dispatcher.service_layer.unit_of_work import DispatcherUnitOfWork
from shared.contracts.organization_copy import FieldEvent, follow_organization
from shared.contracts.organizations import OrganizationUpdated
from shared.messagebus import Received


async def apply_organization_event(
    event: Received[OrganizationUpdated] | Received[FieldEvent], uow: DispatcherUnitOfWork
) -> None:
    """Quiet hours' time zone, templates' default language, queries' fields and country."""
    await follow_organization(uow.organizations, event)
